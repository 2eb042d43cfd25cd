using System.Net;
using System.Text;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>
/// Random and mutated JSON (seeded, bounded) through every parser that reads what a server sent:
/// token responses, discovery documents, iTwin errors, users, pages. Only the module's own
/// ITwinAuthException may come out; anything else is a bug.
/// </summary>
public sealed class ParserFuzzTests
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    private const int CasesPerParser = 4000;

    private static readonly string[] Samples =
    {
        "{\"access_token\":\"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\",\"token_type\":\"Bearer\",\"expires_in\":3599,\"scope\":\"itwin-platform\"}",
        "{\"issuer\":\"https://ims.example/\",\"token_endpoint\":\"https://ims.example/connect/token\",\"jwks_uri\":\"https://ims.example/jwks\"}",
        "{\"error\":{\"code\":\"UserNotFound\",\"message\":\"nope\",\"target\":\"id\",\"details\":[{\"code\":\"A\",\"message\":\"b\",\"target\":\"c\"}]}}",
        "{\"user\":{\"id\":\"6bfc42a0-028a-dae0-4923-da2ec5fedfed\",\"email\":\"a@b\",\"city\":null,\"createdDateTime\":\"2021-08-27T10:19:07.2510000Z\"}}",
        "{\"iTwins\":[{\"id\":\"x\",\"n\":1},{\"id\":\"y\",\"n\":2.5e3}],\"_links\":{\"self\":{\"href\":\"https://api.example/itwins\"},\"next\":{\"href\":\"https://api.example/itwins?$skip=2\"}}}",
        "{\"error\":\"invalid_client\",\"error_description\":\"Invalid client credentials.\"}",
    };

    private static readonly Uri Api = new("https://api.example/");

    public static IEnumerable<byte[]> Inputs(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < CasesPerParser; i++)
        {
            yield return (i % 3) switch
            {
                0 => Encoding.UTF8.GetBytes(RandomJson(random, 0)),
                _ => Mutate(random, Encoding.UTF8.GetBytes(Samples[random.Next(Samples.Length)])),
            };
        }
        foreach (var special in new[] { "", "null", "[]", "\"x\"", "1e999", "-1e999", "123456789012345678901234567890",
                     new string('[', 5000) + new string(']', 5000), "{\"expires_in\":1e999,\"access_token\":\"a\"}",
                     "{\"access_token\":\"a\",\"expires_in\":-5}", "{\"token_endpoint\":\"javascript:alert(1)\"}",
                     "{\"iTwins\":[1e999, -0.0, 1e-999, 18446744073709551616],\"_links\":{\"next\":{\"href\":\"::::\"}}}",
                     "{\"_links\":{\"next\":{\"href\":\"//evil.example/x\"}},\"items\":[]}", "\uFEFF{}",
                     // Escaped lone surrogates: valid JSON syntax, but no .NET string (GetString throws).
                     "{\"access_token\":\"a\\ud800\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
                     "{\"access_token\":\"a\",\"token_type\":\"Bearer\\udc00\",\"expires_in\":3600,\"scope\":\"\\udfff\"}",
                     "{\"error\":\"invalid_client\\ud800\",\"error_description\":\"x\\udc00\"}",
                     "{\"error\":{\"code\":\"\\udc00\",\"message\":\"m\\ud800\",\"details\":[{\"code\":\"\\ud800\"}]}}",
                     "{\"token_endpoint\":\"https://ims.example/\\ud800\"}", "{\"user\":{\"id\":\"\\ud800\",\"email\":\"\\udc00\"}}",
                     "{\"it\\ud800\":[{\"\\udc00\":1}],\"_links\":{\"next\":{\"href\":\"https://api.example/\\ud800\"}}}" })
            yield return Encoding.UTF8.GetBytes(special);
        yield return new byte[] { 0xFF, 0xFE, 0x7B, 0x7D };
        yield return new byte[] { 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D };
    }

    private static string RandomJson(Random random, int depth)
    {
        var kind = depth > 6 ? random.Next(4) : random.Next(7);
        switch (kind)
        {
            case 0: return random.Next(3) switch { 0 => "null", 1 => "true", _ => "false" };
            case 1: return RandomNumber(random);
            case 2:
            case 3: return "\"" + RandomText(random) + "\"";
            case 4:
                return "[" + string.Join(",", Enumerable.Range(0, random.Next(5)).Select(_ => RandomJson(random, depth + 1))) + "]";
            default:
                var keys = new[] { "access_token", "token_type", "expires_in", "scope", "token_endpoint", "error", "code", "message",
                    "details", "target", "user", "id", "createdDateTime", "iTwins", "_links", "next", "href", "error_description" };
                return "{" + string.Join(",", Enumerable.Range(0, random.Next(6)).Select(_ =>
                    "\"" + (random.Next(4) == 0 ? RandomText(random) : keys[random.Next(keys.Length)]) + "\":" + RandomJson(random, depth + 1))) + "}";
        }
    }

    private static string RandomNumber(Random random) => random.Next(6) switch
    {
        0 => random.Next().ToString(),
        1 => (-random.NextDouble() * 1e6).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        2 => "1e" + random.Next(-400, 400),
        3 => new string('9', random.Next(1, 60)),
        4 => "-0",
        _ => "0.000001",
    };

    private static string RandomText(Random random)
    {
        var alphabet = "abcXYZ019 _-:/?#&=%+\\\"\u00e9\u4e2d\ud83d\udd11\t";
        var builder = new StringBuilder();
        for (var i = random.Next(12); i > 0; i--)
        {
            var c = alphabet[random.Next(alphabet.Length)];
            if (c is '\\' or '"') builder.Append('\\');
            builder.Append(c);
        }
        if (random.Next(8) == 0) builder.Append("https://api.example/itwins?$skip=").Append(random.Next(100));
        return builder.ToString();
    }

    private static byte[] Mutate(Random random, byte[] input)
    {
        var bytes = input.ToList();
        for (var n = random.Next(1, 4); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes.RemoveAt(at); break;
                case 1: bytes.Insert(at, (byte)random.Next(256)); break;
                case 2: bytes[at] = (byte)random.Next(256); break;
                case 3: bytes.RemoveRange(at, bytes.Count - at); break;
                case 4: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(8, bytes.Count - at))); break;
                default: const string structural = "{}[],:\"0e-"; bytes.Insert(at, (byte)structural[random.Next(structural.Length)]); break;
            }
        }
        return bytes.ToArray();
    }

    private static HttpResult Result(byte[] body, int status = 200) =>
        new(HttpMethod.Get, new Uri(Api, "itwins"), (HttpStatusCode)status, "reason", new Dictionary<string, string[]>(),
            "application/json", body);

    private static void OnlyOwnExceptions(int seed, Action<byte[]> parse)
    {
        var cases = 0;
        var json = 0;
        foreach (var input in Inputs(seed))
        {
            cases++;
            if (JsonRead.TryParse(input) is { } document) { json++; document.Dispose(); }
            try { parse(input); }
            catch (ITwinAuthException) { }
            catch (Exception ex)
            {
                Assert.Fail($"{ex.GetType().Name}: {ex.Message} for input {Convert.ToBase64String(input)}");
            }
        }
        // The inputs reach both sides of the parser: JSON it must read, and bytes that are not JSON.
        Assert.InRange(json, cases / 20, cases - cases / 20);
    }

    private static readonly TokenCacheKey Key = new TokenCache(Clock.System).KeyFor(new Uri("https://ims.example"),
        new ServiceCredential("service-x", SecretText.ToSecureString("s")), new[] { "itwin-platform" });

    private sealed class ListFactory : JsonValueFactory
    {
        public override object CreateObject(IReadOnlyList<KeyValuePair<string, object?>> properties) => properties.ToList();
    }

    [Fact]
    public void Token_response_parser() => OnlyOwnExceptions(1, body =>
        TokenClient.ParseResponse(Result(body), "service-x", new[] { "itwin-platform" }, new Uri("https://ims.example"), Key, Clock.System.Now, DateTimeOffset.UtcNow, Clock.System));

    [Fact]
    public void Token_error_parser() => OnlyOwnExceptions(2, body => Assert.NotNull(TokenClient.ErrorFrom(Result(body, 400), "service-x", "itwin-platform")));

    [Fact]
    public void Discovery_parser() => OnlyOwnExceptions(3, body =>
        OidcDiscovery.ParseTokenEndpoint(body, CredentialBoundary.ForIdentity(new Uri("https://ims.example")), new Uri("https://ims.example/.well-known/openid-configuration")));

    [Fact]
    public void API_error_parser() => OnlyOwnExceptions(4, body => Assert.NotNull(ApiErrors.FromResponse(Result(body, 404))));

    [Fact]
    public void User_parser() => OnlyOwnExceptions(5, body => ITwinUser.From(Result(body)));

    [Fact]
    public void Page_parser_and_conversion() => OnlyOwnExceptions(6, body =>
    {
        using var page = Page.Read(Result(body), CredentialBoundary.ForApi(Api));
        _ = page.ConvertBody(new ListFactory());
        _ = page.ConvertItems(new ListFactory()).ToList();
        _ = page.RawItems().ToList();
    });
}

public sealed class JsonValueTests
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    private sealed class ListFactory : JsonValueFactory
    {
        public override object CreateObject(IReadOnlyList<KeyValuePair<string, object?>> properties) => properties.ToList();
    }

    [Theory]
    [InlineData("[1]", typeof(int))]
    [InlineData("[3000000000]", typeof(long))]
    [InlineData("[123456789012345678901234567890]", typeof(System.Numerics.BigInteger))]
    [InlineData("[2.5]", typeof(double))]
    [InlineData("[1e999]", typeof(string))]
    public void Numbers_take_the_smallest_type_that_holds_them(string json, Type expected)
    {
        var result = new HttpResult(HttpMethod.Get, new Uri("https://api.example/x"), System.Net.HttpStatusCode.OK, "OK",
            new Dictionary<string, string[]>(), "application/json", Encoding.UTF8.GetBytes(json));
        using var body = JsonBody.Read(result);
        var values = (object?[])body.Convert(new ListFactory())!;
        Assert.IsType(expected, values[0]);
    }

    private static HttpResult Json(string json, int status = 200) =>
        new(HttpMethod.Get, new Uri("https://api.example/x"), (System.Net.HttpStatusCode)status, "OK",
            new Dictionary<string, string[]>(), "application/json", Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("{\"a\":\"x\\ud800\"}")]
    [InlineData("{\"a\":\"\\udc00x\"}")]
    [InlineData("{\"\\ud800\":1}")]
    [InlineData("{\"iTwins\":[{\"id\":\"\\udbff\\ud800\"}],\"_links\":{}}")]
    public void A_string_with_an_escaped_lone_surrogate_is_not_JSON(string json)
    {
        // RFC 8259 leaves such strings unpredictable and I-JSON (RFC 7493) forbids them; .NET cannot make
        // them a string (InvalidOperationException), so they are refused as the body is read, like bad UTF-8.
        Assert.Null(JsonRead.TryParse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(ITwinErrorIds.ResponseNotJson, Assert.Throws<ITwinAuthException>(() => JsonBody.Read(Json(json))).ErrorId);
        Assert.Equal(ITwinErrorIds.ResponseNotJson,
            Assert.Throws<ITwinAuthException>(() => Page.Read(Json(json), CredentialBoundary.ForApi(new Uri("https://api.example/")))).ErrorId);
        Assert.Equal(ITwinErrorIds.HttpError, ApiErrors.FromResponse(Json("{\"error\":{\"code\":\"\\ud800\",\"message\":\"m\"}}", 400)).ErrorId);
    }

    [Fact]
    public void A_UTF8_byte_order_mark_before_the_JSON_is_skipped_as_Invoke_RestMethod_skips_it()
    {
        // RFC 8259 lets a parser ignore it; it was ResponseNotJson. Only a leading one: elsewhere it is not JSON.
        using (var body = JsonBody.Read(Json("\uFEFF[\"a\",1]")))
            Assert.Equal(new object?[] { "a", 1 }, (object?[])body.Convert(new ListFactory())!);
        using (var page = Page.Read(Json("\uFEFF{\"items\":[\"b\"],\"_links\":{}}"), CredentialBoundary.ForApi(new Uri("https://api.example/"))))
            Assert.Equal(new[] { "\"b\"" }, page.RawItems().ToArray());
        Assert.Null(JsonRead.TryParse(Encoding.UTF8.GetBytes("[1,\uFEFF2]")));
        Assert.Null(JsonRead.TryParse(Encoding.UTF8.GetBytes("\uFEFF")));
    }

    [Fact]
    public void Escaped_surrogate_pairs_and_an_escaped_backslash_before_u_are_read()
    {
        using var body = JsonBody.Read(Json("[\"\\ud83d\\ude00\",\"\\\\ud800\"]"));
        Assert.Equal(new object?[] { "\ud83d\ude00", "\\ud800" }, (object?[])body.Convert(new ListFactory())!);
    }

    [Fact]
    public void An_integer_of_more_digits_than_any_quantity_is_kept_as_its_text()
    {
        // BigInteger's parse and print grow faster than the digits: a 16 MB body of one integer took 30 s to
        // convert (and its display far longer), within every limit. 1,000 digits stay a BigInteger.
        var thousand = "9" + new string('0', 999);
        using var fits = JsonBody.Read(Json("[" + thousand + "]"));
        Assert.Equal(System.Numerics.BigInteger.Parse(thousand), ((object?[])fits.Convert(new ListFactory())!)[0]);

        var huge = new string('9', 1_000_000);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var body = JsonBody.Read(Json("[" + huge + ",-" + "1" + new string('0', 1000) + "]"));
        var values = (object?[])body.Convert(new ListFactory())!;
        Assert.Equal(huge, Assert.IsType<string>(values[0])); // IsType first: printing the BigInteger would take long
        Assert.Equal("-1" + new string('0', 1000), Assert.IsType<string>(values[1]));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{watch.Elapsed.TotalSeconds:N1} s (a bound against the 30 s of a BigInteger parse, not a speed target)");
    }

    [Theory]
    [InlineData(1, 1_000_000)]
    [InlineData(4, 1_000_000)]
    [InlineData(16, 250_000)]
    [InlineData(64, 62_500)]
    public void The_requests_of_a_fan_out_share_one_budget_of_JSON_values(int throttleLimit, int each) =>
        Assert.Equal(each, ConversionBudget.MaximumFor(throttleLimit));

    private static HttpResult Zeros(int count, int status = 200, string? before = null) =>
        new(HttpMethod.Get, new Uri("https://api.example/x"), (System.Net.HttpStatusCode)status, "OK", new Dictionary<string, string[]>(), "application/json",
            Encoding.UTF8.GetBytes("{" + before + "\"iTwins\":[" + string.Join(",", Enumerable.Repeat("0", count)) + "],\"_links\":{}}"));

    [Fact]
    public void A_body_with_more_values_than_its_budget_is_refused_as_it_is_read_before_any_document_is_built()
    {
        // A document costs 12 bytes a value before anything is converted: "[0,0,...]" six times its body,
        // so it is refused by counting, not after building it.
        // 1,003 values: the envelope, its array, 1,000 zeros and _links.
        var whole = Assert.Throws<ITwinAuthException>(() => JsonBody.Read(Zeros(1_000), 1_002));
        var page = Assert.Throws<ITwinAuthException>(() => Page.Read(Zeros(1_000), CredentialBoundary.ForApi(new Uri("https://api.example/")), 1_002));

        Assert.Equal(ITwinErrorIds.ResponseTooComplex, whole.ErrorId);
        Assert.Contains("more than 1,002 JSON values", whole.Message);
        Assert.Contains("-ThrottleLimit", whole.Message);
        Assert.Equal(ITwinErrorIds.ResponseTooComplex, page.ErrorId);
        using var fits = JsonBody.Read(Zeros(1_000), 1_003);
        Assert.Equal(1_000, ((object?[])fits.ConvertUnwrapped(new ListFactory(), out _)!).Length);
        using var fitting = Page.Read(Zeros(1_000), CredentialBoundary.ForApi(new Uri("https://api.example/")), 1_003);
        Assert.Equal(1_000, fitting.ConvertItems(new ListFactory()).Count());
    }

    [Fact]
    public void An_error_body_with_more_values_than_any_response_may_become_is_not_read_as_an_iTwin_error()
    {
        var result = Zeros(ConversionBudget.MaximumValues, 400, "\"error\":{\"code\":\"Specific\",\"message\":\"Not read.\"},");

        var ex = ApiErrors.FromResponse(result);

        Assert.Equal(ITwinErrorIds.HttpError, ex.ErrorId);
        Assert.DoesNotContain("Not read.", ex.Message);
    }
}
