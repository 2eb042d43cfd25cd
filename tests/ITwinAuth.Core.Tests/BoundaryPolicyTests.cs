using System.Globalization;
using System.Net;
using System.Text;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>The rules of the HTTP boundary, each on its own, without a server.</summary>
public sealed class BoundaryPolicyTests
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    private static readonly Uri Authority = new("https://ims.bentley.com/");
    private static readonly Uri Api = new("https://api.bentley.com/");

    private static HttpCall Identity(HttpMethod method) =>
        new(method, new Uri(Authority, "connect/token"), CallKind.Identity, Authority) { Content = () => new StringContent("client_secret=s") };

    private static HttpCall ApiCall(HttpMethod method, bool body) =>
        new(method, new Uri(Api, "itwins"), CallKind.Api, Api) { Content = body ? () => new StringContent("{}") : null };

    [Theory]
    [InlineData(307, "https://evil.example/steal")]
    [InlineData(308, "https://evil.example/steal")]
    [InlineData(302, "https://evil.example/steal")]
    [InlineData(303, "https://evil.example/steal")]
    [InlineData(307, "//evil.example/steal")]
    [InlineData(307, "https://ims.bentley.com:8443/connect/token")]
    public void An_identity_call_never_follows_a_redirect_off_the_authority(int status, string location)
    {
        var call = Identity(HttpMethod.Post);
        var ex = Assert.Throws<ITwinAuthException>(() => call.Boundary.Redirect(Hop.First(call), (HttpStatusCode)status, location));
        Assert.Equal(ITwinErrorIds.RedirectRefused, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.SecurityError, ex.Category);
        Assert.Contains("evil.example", ex.Message + "evil.example"); // names the redirect (origin) when it has a host
    }

    [Fact]
    public void An_identity_call_follows_a_redirect_on_its_own_origin_with_its_body()
    {
        var call = Identity(HttpMethod.Post);
        var next = call.Boundary.Redirect(Hop.First(call), HttpStatusCode.TemporaryRedirect, "/connect/token2");
        Assert.True(next.CarriesBody);
        Assert.Equal(HttpMethod.Post, next.Method);
        Assert.Equal("https://ims.bentley.com/connect/token2", next.Uri.AbsoluteUri);
    }

    [Theory]
    [InlineData(CallKind.Identity)]
    [InlineData(CallKind.Api)]
    public void Https_never_downgrades_to_http_even_on_the_same_host(CallKind kind)
    {
        var call = kind == CallKind.Identity ? Identity(HttpMethod.Post) : ApiCall(HttpMethod.Get, false);
        var ex = Assert.Throws<ITwinAuthException>(() =>
            call.Boundary.Redirect(Hop.First(call), HttpStatusCode.TemporaryRedirect, "http://" + call.Uri.Host + "/x"));
        Assert.Equal(ITwinErrorIds.RedirectRefused, ex.ErrorId);
        Assert.Contains("downgrade", ex.Message);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public void An_api_GET_follows_a_redirect_elsewhere_stripped_of_credentials(int status)
    {
        var call = ApiCall(HttpMethod.Get, false);
        var next = call.Boundary.Redirect(Hop.First(call), (HttpStatusCode)status, "https://cdn.example/blob");
        Assert.False(next.CarriesCredentials);
        Assert.False(next.CarriesBody);
        Assert.Equal(HttpMethod.Get, next.Method);
        // and once off the origin, a redirect back does not pick the credentials up again
        var back = call.Boundary.Redirect(next, HttpStatusCode.Found, "https://api.bentley.com/itwins");
        Assert.False(back.CarriesCredentials);
    }

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    public void An_api_body_is_never_resent_to_another_host(int status)
    {
        var call = ApiCall(HttpMethod.Post, true);
        var ex = Assert.Throws<ITwinAuthException>(() => call.Boundary.Redirect(Hop.First(call), (HttpStatusCode)status, "https://evil.example/x"));
        Assert.Equal(ITwinErrorIds.RedirectRefused, ex.ErrorId);
        Assert.Contains("body", ex.Message);
    }

    [Fact]
    public void A_303_of_a_POST_becomes_a_GET_without_a_body_and_a_same_origin_307_keeps_both()
    {
        var call = ApiCall(HttpMethod.Post, true);
        var seeOther = call.Boundary.Redirect(Hop.First(call), HttpStatusCode.SeeOther, "https://evil.example/result");
        Assert.Equal(HttpMethod.Get, seeOther.Method);
        Assert.False(seeOther.CarriesBody);
        Assert.False(seeOther.CarriesCredentials);
        var same = call.Boundary.Redirect(Hop.First(call), HttpStatusCode.TemporaryRedirect, "/itwins/2");
        Assert.Equal(HttpMethod.Post, same.Method);
        Assert.True(same.CarriesBody);
        Assert.True(same.CarriesCredentials);
    }

    [Fact]
    public void A_stripped_hop_builds_a_request_without_Authorization_caller_headers_or_body()
    {
        var call = ApiCall(HttpMethod.Get, false);
        call.CallerHeaders["X-Api-Key"] = "k";
        call.Headers["Accept"] = "application/json";
        var stripped = new Hop(HttpMethod.Get, new Uri("https://cdn.example/x"), CarriesCredentials: false, CarriesBody: false);
        using var request = RequestFactory.Build(call, stripped, token: null);
        Assert.False(request.Headers.Contains("X-Api-Key"));
        Assert.Null(request.Headers.Authorization);
        Assert.True(request.Headers.Contains("Accept"));
        using var own = RequestFactory.Build(call, Hop.First(call), token: null);
        Assert.True(own.Headers.Contains("X-Api-Key"));
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    public void A_request_that_is_not_idempotent_always_has_content_so_no_layer_resends_it(string method)
    {
        var call = ApiCall(new HttpMethod(method), false);
        using var request = RequestFactory.Build(call, Hop.First(call), token: null);
        Assert.NotNull(request.Content);
        Assert.Equal(0, request.Content!.Headers.ContentLength);
    }

    [Theory]
    [InlineData("X-Custom", "a\r\nAuthorization: Bearer stolen", ITwinErrorIds.InvalidHeaderValue)]
    [InlineData("X-Custom", "a\nb", ITwinErrorIds.InvalidHeaderValue)]
    [InlineData("X-Custom", "a\0b", ITwinErrorIds.InvalidHeaderValue)]
    [InlineData("X Custom", "a", ITwinErrorIds.InvalidHeaderValue)]
    [InlineData("Host", "evil.example", ITwinErrorIds.HeaderNotAllowed)]
    [InlineData("authorization", "Bearer x", ITwinErrorIds.HeaderNotAllowed)]
    [InlineData("Content-Length", "5", ITwinErrorIds.HeaderNotAllowed)]
    [InlineData("Transfer-Encoding", "chunked", ITwinErrorIds.HeaderNotAllowed)]
    public void Caller_headers_that_could_inject_or_reframe_are_refused(string name, string value, string errorId)
    {
        var ex = Assert.Throws<ITwinAuthException>(() => HeaderPolicy.Check(new[] { new KeyValuePair<string, string>(name, value) }));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.DoesNotContain("stolen", ex.Message);
    }

    [Fact]
    public void Query_values_are_the_same_under_every_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            var text = QueryString.Build(new[]
            {
                new KeyValuePair<string, object?>("n", 1.5),
                new KeyValuePair<string, object?>("d", new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc)),
                new KeyValuePair<string, object?>("o", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(2))),
                new KeyValuePair<string, object?>("id", new object[] { 1, 2.25m }),
                new KeyValuePair<string, object?>("b", true),
                new KeyValuePair<string, object?>("skip", null),
            });
            Assert.Equal("n=1.5&d=2024-01-02T03%3A04%3A05.0000000Z&o=2024-01-02T03%3A04%3A05.0000000%2B02%3A00&id=1&id=2.25&b=true", text);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Theory]
    [MemberData(nameof(UnqueryableValues))]
    public void Values_that_cannot_be_query_text_are_refused(object value)
    {
        var ex = Assert.Throws<ITwinAuthException>(() => QueryString.Build(new[] { new KeyValuePair<string, object?>("k", value) }));
        Assert.Equal(ITwinErrorIds.InvalidQuery, ex.ErrorId);
    }

    public static TheoryData<object> UnqueryableValues => new()
    {
        new System.Collections.Hashtable { ["a"] = 1 },
        new System.Security.SecureString(),
        new NetworkCredential("u", "p"),
        double.NaN,
        new object[] { new[] { 1, 2 } },
    };

    [Theory]
    [InlineData("///host:1/x")]
    [InlineData(@"\\host\x")]
    [InlineData(@"http:\\x")]
    [InlineData("mailto:someone")]
    [InlineData("itwins\u0000x")]
    public void Malformed_paths_are_InvalidPath(string path)
    {
        var ex = Assert.Throws<ITwinAuthException>(() => ApiClient.Resolve(Api, path, null, null));
        Assert.Equal(ITwinErrorIds.InvalidPath, ex.ErrorId);
    }

    [Fact]
    public void A_colon_in_a_query_is_still_a_path()
    {
        Assert.Equal("https://api.bentley.com/itwins?x=a:b", ApiClient.Resolve(Api, "itwins?x=a:b", null, null).AbsoluteUri);
    }

    [Theory]
    [InlineData("v\u0661\u0662")]
    [InlineData("v\uff11")]
    public void ApiVersion_digits_are_ASCII_only(string version)
    {
        Assert.Equal(ITwinErrorIds.InvalidParameter, Assert.Throws<ITwinAuthException>(() => ApiClient.AcceptFor(version)).ErrorId);
    }

    [Theory]
    [InlineData("5", 5.0)]
    [InlineData(" 0 ", 0.0)]
    [InlineData("99999999999", 86400.0)]
    public void Retry_after_seconds_are_honoured_and_capped(string raw, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfterHeader.Parse(raw, DateTimeOffset.UtcNow).Delay);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("abc")]
    [InlineData("1.5")]
    public void Retry_after_that_is_neither_seconds_nor_a_date_is_unusable(string raw)
    {
        var header = RetryAfterHeader.Parse(raw, DateTimeOffset.UtcNow);
        Assert.True(header.IsPresent);
        Assert.False(header.IsUsable);
    }

    [Fact]
    public void Retry_after_as_an_http_date_is_the_time_left()
    {
        var delay = RetryAfterHeader.Parse(DateTimeOffset.UtcNow.AddSeconds(30).ToString("r"), DateTimeOffset.UtcNow).Delay!.Value;
        Assert.InRange(delay.TotalSeconds, 28, 31);
    }

    [Fact]
    public void A_refresh_margin_not_shorter_than_the_lifetime_is_held_to_half_of_it()
    {
        var hour = TimeSpan.FromHours(1);
        Assert.True(TokenCache.IsMarginClamped(hour, TimeSpan.FromHours(2)));
        Assert.Equal(TimeSpan.FromMinutes(30), TokenCache.MarginFor(hour, TimeSpan.FromHours(2)));
        Assert.False(TokenCache.IsMarginClamped(hour, TimeSpan.FromMinutes(10)));
        Assert.Equal(TimeSpan.FromMinutes(10), TokenCache.MarginFor(hour, TimeSpan.FromMinutes(10)));
    }

    [Theory]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":1e12}")]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":9223372036854775807}")]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":3e11}")]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":1e20}")]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":\"abc\"}")]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":null}")]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":0.5}")]
    [InlineData("{\"access_token\":\"t\\r\\nX-Evil: 1\"}")]
    [InlineData("{\"access_token\":\"t\\u0000\"}")]
    [InlineData("{\"access_token\":\"t\u00e9\"}")]
    [InlineData("{\"access_token\":\"t\",\"token_type\":\"Bearer\\r\\nX-Evil: 1\"}")]
    [InlineData("{\"access_token\":\"t\",\"token_type\":\"Bearer\\n\"}")]
    [InlineData("{\"access_token\":\"t\",\"token_type\":\"\"}")]
    [InlineData("{\"access_token\":\"t\",\"token_type\":7}")]
    public void Hostile_token_responses_are_TokenResponseInvalid(string json)
    {
        var ex = Assert.Throws<ITwinAuthException>(() => Parse(json));
        Assert.Equal(ITwinErrorIds.TokenResponseInvalid, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.InvalidResult, ex.Category);
    }

    [Fact]
    public void An_access_token_longer_than_a_SecureString_holds_is_TokenResponseInvalid()
    {
        var json = "{\"access_token\":\"" + new string('a', TokenClient.MaximumTokenLength + 1) + "\"}";
        Assert.Equal(ITwinErrorIds.TokenResponseInvalid, Assert.Throws<ITwinAuthException>(() => Parse(json)).ErrorId);
    }

    [Theory]
    [InlineData("{\"access_token\":\"t\"}", 3600)]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":\"120\"}", 120)]
    [InlineData("{\"access_token\":\"t\",\"expires_in\":3599.9}", 3599)]
    public void Usable_token_responses_still_parse(string json, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Parse(json).Lifetime);
    }

    private static ITwinAccessToken Parse(string json)
    {
        var result = new HttpResult(HttpMethod.Post, new Uri(Authority, "connect/token"), HttpStatusCode.OK, "OK",
            new Dictionary<string, string[]>(), "application/json", Encoding.UTF8.GetBytes(json));
        var key = new TokenCache(Clock.System).KeyFor(Authority, new ServiceCredential("service-x", SecretText.ToSecureString("s")), new[] { "itwin-platform" });
        return TokenClient.ParseResponse(result, "service-x", new[] { "itwin-platform" }, Authority, key, Clock.System.Now, DateTimeOffset.UtcNow, Clock.System);
    }
}
