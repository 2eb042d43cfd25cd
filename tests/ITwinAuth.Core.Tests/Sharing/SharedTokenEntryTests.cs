using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace ITwinAuth.Core.Tests.Sharing;

/// <summary>
/// The shared entry's name and the rules for trusting its value (SharedTokenEntry): what another process
/// (or anyone who can write to the store) put there is used only when every check passes, and a refusal
/// is a reason, never an exception and never the token.
/// </summary>
public sealed class SharedTokenEntryTests : IDisposable
{
    private const string ClientId = "shared-entry-client";
    private const string Secret = "0123456789abcdef0123456789abcdef-secret";
    private const string TokenText = "opaque-shared-token-7f3c9a1e5b";
    private static readonly Uri Authority = new("https://ims.example.test/");

    private readonly FakeTime _time = new();
    private readonly TokenCacheKey _key;
    private readonly string _name;

    public SharedTokenEntryTests()
    {
        _key = KeyFor(new TokenCache(_time));
        _name = SharedTokenEntry.NameFor(_key, SecretText.ToSecureString(Secret));
    }

    public void Dispose() => _time.Dispose();

    private static TokenCacheKey KeyFor(TokenCache cache, string clientId = ClientId, string secret = Secret, Uri? authority = null, params string[] scopes) =>
        cache.KeyFor(authority ?? Authority, new ServiceCredential(clientId, SecretText.ToSecureString(secret)),
            TokenClient.ValidateScopes(scopes.Length == 0 ? new[] { "itwin-platform" } : scopes));

    private static string NameOf(TokenCacheKey key, string secret = Secret) => SharedTokenEntry.NameFor(key, SecretText.ToSecureString(secret));

    private static string Date(DateTimeOffset when) => when.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>An entry as this module writes one, valid by default (50 minutes left of an hour); <paramref name="change"/> spoils it.</summary>
    private string Entry(Action<Dictionary<string, object?>>? change = null)
    {
        var fields = new Dictionary<string, object?>
        {
            ["v"] = 1,
            ["name"] = _name,
            ["expiresOn"] = Date(_time.UtcNow + TimeSpan.FromMinutes(50)),
            ["lifetime"] = 3600,
            ["scope"] = "itwin-platform",
            ["token"] = TokenText,
        };
        change?.Invoke(fields);
        return JsonSerializer.Serialize(fields);
    }

    private ITwinAccessToken? Read(string text, out string reason, TimeSpan? margin = null) =>
        SharedTokenEntry.Read(StoredEntry.OfText(SecretText.ToSecureString(text)), _name, _key, Authority, margin, _time, out reason);

    private ITwinAccessToken Accepted(string text, TimeSpan? margin = null)
    {
        var token = Read(text, out var reason, margin);
        Assert.True(token is not null, $"The entry was refused: {reason}");
        return token!;
    }

    /// <summary>Refused: null, a reason saying <paramref name="because"/>, no exception, and never the token in the reason.</summary>
    private string Refused(string text, string because, TimeSpan? margin = null, string? token = null)
    {
        ITwinAccessToken? read = null;
        var reason = string.Empty;
        var thrown = Record.Exception(() => read = Read(text, out reason, margin));
        Assert.Null(thrown);
        Assert.Null(read);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Contains(because, reason, StringComparison.Ordinal);
        Assert.DoesNotContain(token ?? TokenText, reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, reason, StringComparison.Ordinal);
        return reason;
    }

    // ---- Encode and Read -------------------------------------------------------------------------

    [Fact]
    public void Encode_then_Read_round_trips_the_token_its_expiry_lifetime_and_scopes()
    {
        var key = KeyFor(new TokenCache(_time), scopes: new[] { "users:read itwin-platform" });
        var name = NameOf(key);
        // Issued 10 minutes ago: the expiry read back is the one written, not "an hour from the read".
        var written = SharedKit.Token(TokenText, key, _time, TimeSpan.FromHours(1), age: TimeSpan.FromMinutes(10), authority: Authority);

        using var value = SharedTokenEntry.Encode(written, name);
        var read = SharedTokenEntry.Read(StoredEntry.OfText(value), name, key, Authority, null, _time, out var reason);

        Assert.True(read is not null, reason);
        Assert.Equal(TokenText, SharedKit.Plain(read!));
        Assert.Equal(written.ExpiresOn, read!.ExpiresOn);
        Assert.Equal(written.IssuedOn, read.IssuedOn);
        Assert.Equal(TimeSpan.FromHours(1), read.Lifetime);
        Assert.Equal(new[] { "itwin-platform", "users:read" }, read.Scopes);
        Assert.Equal(ClientId, read.ClientId);
        Assert.Equal(key, read.Key);
        Assert.Equal("Bearer", read.TokenType);
        Assert.True(read.FromSharedCache);
        Assert.False(read.FromCache);
        // 50 minutes left, less the second of slack every token keeps.
        Assert.InRange(read.ExpiresIn, TimeSpan.FromMinutes(50) - TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(50));
    }

    [Fact]
    public void The_encoded_value_and_its_metadata_hold_neither_the_secret_nor_more_than_the_token()
    {
        var written = SharedKit.Token(TokenText, _key, _time, authority: Authority);
        using var value = SharedTokenEntry.Encode(written, _name);
        var text = SecretText.Use(value, t => t);
        var metadata = SharedTokenEntry.Metadata(written);

        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        using (var document = JsonDocument.Parse(text))
        {
            Assert.Equal(1, document.RootElement.GetProperty("v").GetInt32());
            Assert.Equal(_name, document.RootElement.GetProperty("name").GetString());
            Assert.Equal(TokenText, document.RootElement.GetProperty("token").GetString());
        }
        Assert.Equal(ClientId, metadata["ClientId"]);
        Assert.All(metadata.Values, v => Assert.DoesNotContain(TokenText, v, StringComparison.Ordinal));
        Assert.All(metadata.Values, v => Assert.DoesNotContain(Secret, v, StringComparison.Ordinal));
    }

    [Fact]
    public void The_valid_entry_every_refusal_spoils_is_accepted()
    {
        var token = Accepted(Entry());
        Assert.Equal(TokenText, SharedKit.Plain(token));
        Assert.True(token.FromSharedCache);
    }

    // ---- NameFor ---------------------------------------------------------------------------------

    [Fact]
    public void NameFor_is_the_prefix_and_32_hex_digits_stable_across_processes()
    {
        Assert.Matches(new Regex("^ITwinAuthToken-[0-9a-f]{32}$"), _name);
        Assert.StartsWith(SharedTokenEntry.NamePrefix, _name, StringComparison.Ordinal);
        Assert.Equal(_name, NameOf(_key));
        // Another process: another in-memory cache, whose secret fingerprints use another random key; same name.
        var elsewhere = KeyFor(new TokenCache(Clock.System));
        Assert.NotEqual(_key.SecretFingerprint, elsewhere.SecretFingerprint);
        Assert.Equal(_name, NameOf(elsewhere));
        // The same scope set written another way, the same authority spelt another way.
        Assert.Equal(_name, NameOf(KeyFor(new TokenCache(_time), authority: new Uri("https://IMS.example.test"), scopes: new[] { "itwin-platform itwin-platform" })));
    }

    [Fact]
    public void NameFor_differs_for_another_secret_client_id_scope_set_or_authority()
    {
        var cache = new TokenCache(_time);
        var names = new[]
        {
            _name,
            // The key's secret fingerprint is per process: only the secret the name is keyed by counts.
            NameOf(KeyFor(cache, secret: Secret + "-rotated"), Secret + "-rotated"),
            NameOf(KeyFor(cache, clientId: ClientId + "-other")),
            NameOf(KeyFor(cache, scopes: new[] { "itwin-platform users:read" })),
            NameOf(KeyFor(cache, scopes: new[] { "users:read" })),
            NameOf(KeyFor(cache, authority: new Uri("https://qa-ims.example.test/"))),
        };
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void NameFor_contains_neither_the_secret_nor_the_client_id()
    {
        // Secrets of hex digits, which could show through a name of hex digits if it were made from them.
        foreach (var secret in new[] { Secret, "0123456789abcdef0123", "deadbeefdeadbeefdeadbeefdeadbeef" })
        {
            var name = NameOf(_key, secret);
            Assert.DoesNotContain(secret, name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret.Substring(0, 12), name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(ClientId, name, StringComparison.OrdinalIgnoreCase);
        }
        var hexClient = KeyFor(new TokenCache(_time), clientId: "abcdef0123456789");
        Assert.DoesNotContain("abcdef0123456789", NameOf(hexClient), StringComparison.OrdinalIgnoreCase);
    }

    // ---- Refusals --------------------------------------------------------------------------------

    [Fact]
    public void An_entry_that_is_not_text_is_refused_with_what_it_is()
    {
        ITwinAccessToken? read = null;
        var reason = string.Empty;
        Assert.Null(Record.Exception(() => read = SharedTokenEntry.Read(StoredEntry.OfOther("a PSCredential"), _name, _key, Authority, null, _time, out reason)));
        Assert.Null(read);
        Assert.Contains("a PSCredential", reason, StringComparison.Ordinal);
        Assert.Contains("not a shared token", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("this is not JSON {")]
    [InlineData("{\"v\":1,\"name\":")]
    [InlineData("\u0000\u0001\u0002")]
    [InlineData("[1,2,3]")]
    [InlineData("[{\"v\":1}]")]
    [InlineData("\"a string\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public void Garbage_and_JSON_that_is_not_an_object_are_refused(string text) =>
        Refused(text, "not a JSON object");

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"1\"")]
    [InlineData("null")]
    [InlineData("missing")]
    public void Another_version_is_refused(string version) =>
        Refused(Entry(f =>
        {
            if (version == "missing") f.Remove("v");
            else f["v"] = JsonDocument.Parse(version).RootElement.Clone();
        }), "version 1");

    [Fact]
    public void An_entry_written_under_another_name_is_refused()
    {
        var other = NameOf(KeyFor(new TokenCache(_time), clientId: "another-app"));
        Refused(Entry(f => f["name"] = other), "another name");
        Refused(Entry(f => f["name"] = _name.ToUpperInvariant()), "another name");
        Refused(Entry(f => f["name"] = NameOf(_key, "a-rotated-secret")), "another name");
        Refused(Entry(f => f.Remove("name")), "another name");
        Refused(Entry(f => f["name"] = 12345), "another name");
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("")]
    [InlineData("token with spaces")]
    [InlineData(" leading-space")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    [InlineData("control\u0001char")]
    [InlineData("delete\u007fchar")]
    [InlineData("non-ascii-\u00e9")]
    [InlineData("number")]
    public void A_token_an_HTTP_header_cannot_carry_is_refused(string token) =>
        Refused(Entry(f =>
        {
            if (token == "missing") f.Remove("token");
            else if (token == "number") f["token"] = 123456789;
            else f["token"] = token;
        }), "HTTP header", token: token is "missing" or "number" or "" ? TokenText : token);

    [Fact]
    public void The_longest_text_a_store_can_hand_over_is_read_without_throwing()
    {
        // A SecureString holds at most 65,536 characters: the longest value any store can return. A valid
        // entry padded to that length is still an entry; garbage of that length is refused, not thrown.
        var entry = Entry();
        var padded = entry.Insert(1, new string(' ', 65536 - entry.Length));
        Assert.Equal(65536, padded.Length);
        Assert.Equal(TokenText, SharedKit.Plain(Accepted(padded)));
        Refused(new string('x', 65536), "not a JSON object");
        Refused("{\"v\":1,\"pad\":\"" + new string('x', 65536 - 40) + "\"}", "another name");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("-3600")]
    [InlineData("31622401")]      // a year (366 days) and a second
    [InlineData("99999999999999")]
    [InlineData("3600.5")]
    [InlineData("\"3600\"")]
    [InlineData("null")]
    [InlineData("missing")]
    public void An_impossible_lifetime_is_refused(string lifetime) =>
        Refused(Entry(f =>
        {
            if (lifetime == "missing") f.Remove("lifetime");
            else f["lifetime"] = JsonDocument.Parse(lifetime).RootElement.Clone();
        }), "lifetime");

    [Fact]
    public void A_lifetime_of_a_year_is_possible()
    {
        var year = TokenClient.MaximumExpiresIn;
        Assert.Equal(366L * 24 * 3600, year);
        Accepted(Entry(f => f["lifetime"] = year));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("null")]
    [InlineData("\"\"")]
    [InlineData("\"tomorrow\"")]
    [InlineData("\"2030-13-45T99:00:00.0000000Z\"")]
    [InlineData("1900000000")]
    [InlineData("{}")]
    public void An_expiry_that_is_not_a_date_is_refused(string expiry) =>
        Refused(Entry(f =>
        {
            if (expiry == "missing") f.Remove("expiresOn");
            else f["expiresOn"] = JsonDocument.Parse(expiry).RootElement.Clone();
        }), "expiry");

    [Theory]
    [InlineData("missing")]
    [InlineData("")]
    [InlineData("   ")]
    public void An_entry_without_scopes_is_refused(string scope) =>
        Refused(Entry(f =>
        {
            if (scope == "missing") f.Remove("scope");
            else f["scope"] = scope;
        }), "scopes");

    [Fact]
    public void An_entry_is_refused_once_the_clock_passes_its_expiry()
    {
        var entry = Entry(f => f["expiresOn"] = Date(_time.UtcNow + TimeSpan.FromMinutes(10)));
        Accepted(entry);
        _time.Advance(TimeSpan.FromMinutes(11));
        Refused(entry, "expired");
        Refused(Entry(f => f["expiresOn"] = Date(_time.UtcNow - TimeSpan.FromDays(30))), "expired");
    }

    [Fact]
    public void An_entry_within_the_default_refresh_margin_is_refused()
    {
        // An hour's token: the margin is five minutes (and a second of slack).
        var entry = Entry(f => f["expiresOn"] = Date(_time.UtcNow + TimeSpan.FromMinutes(10)));
        _time.Advance(TimeSpan.FromMinutes(4.5));
        Accepted(entry);                                  // 5.5 minutes left
        _time.Advance(TimeSpan.FromMinutes(1));
        Refused(entry, "within the refresh margin");     // 4.5 minutes left
    }

    [Fact]
    public void An_entry_within_a_given_refresh_margin_is_refused()
    {
        var entry = Entry(f => f["expiresOn"] = Date(_time.UtcNow + TimeSpan.FromMinutes(15)));
        Accepted(entry);
        Accepted(entry, TimeSpan.FromMinutes(10));
        Refused(entry, "within the refresh margin", TimeSpan.FromMinutes(20));
    }

    [Fact]
    public void An_entry_with_more_time_left_than_its_lifetime_is_refused()
    {
        // A ten-minute token cannot have twenty minutes left (five minutes of clock skew are allowed).
        Refused(Entry(f =>
        {
            f["lifetime"] = 600;
            f["expiresOn"] = Date(_time.UtcNow + TimeSpan.FromMinutes(20));
        }), "more time left than its lifetime");
        Refused(Entry(f => f["expiresOn"] = Date(_time.UtcNow + TimeSpan.FromDays(365))), "more time left than its lifetime");
        Accepted(Entry(f =>
        {
            f["lifetime"] = 600;
            f["expiresOn"] = Date(_time.UtcNow + TimeSpan.FromMinutes(14));
        }));
    }

    [Fact]
    public void A_JWT_issued_to_another_client_id_is_refused()
    {
        var exp = (_time.UtcNow + TimeSpan.FromMinutes(50)).ToUnixTimeSeconds();
        var foreign = SharedKit.Jwt(new { client_id = "another-app", exp });
        Refused(Entry(f => f["token"] = foreign), "another client id", token: foreign);
        Refused(Entry(f => f["token"] = SharedKit.Jwt(new { client_id = ClientId.ToUpperInvariant(), exp })), "another client id");
        // The same app's JWT is used.
        var own = SharedKit.Jwt(new { client_id = ClientId, exp });
        Assert.Equal(own, SharedKit.Plain(Accepted(Entry(f => f["token"] = own))));
    }

    [Fact]
    public void A_JWT_that_expires_before_the_entry_says_wins()
    {
        var exp = DateTimeOffset.FromUnixTimeSeconds((_time.UtcNow + TimeSpan.FromMinutes(30)).ToUnixTimeSeconds());
        var jwt = SharedKit.Jwt(new { client_id = ClientId, exp = exp.ToUnixTimeSeconds() });
        var token = Accepted(Entry(f => f["token"] = jwt));      // the entry says 50 minutes
        Assert.Equal(exp, token.ExpiresOn);
        Assert.InRange(token.ExpiresIn, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));

        // A JWT that expires later does not make the entry last longer.
        var entryExpiry = _time.UtcNow + TimeSpan.FromMinutes(50);
        var later = SharedKit.Jwt(new { client_id = ClientId, exp = (_time.UtcNow + TimeSpan.FromMinutes(58)).ToUnixTimeSeconds() });
        var bounded = Accepted(Entry(f =>
        {
            f["token"] = later;
            f["expiresOn"] = Date(entryExpiry);
        }));
        Assert.Equal(entryExpiry, bounded.ExpiresOn);
    }

    [Fact]
    public void A_JWT_whose_own_expiry_is_within_the_margin_is_refused()
    {
        var soon = SharedKit.Jwt(new { client_id = ClientId, exp = (_time.UtcNow + TimeSpan.FromMinutes(3)).ToUnixTimeSeconds() });
        Refused(Entry(f => f["token"] = soon), "within the refresh margin", token: soon);
        var gone = SharedKit.Jwt(new { client_id = ClientId, exp = (_time.UtcNow - TimeSpan.FromMinutes(3)).ToUnixTimeSeconds() });
        Refused(Entry(f => f["token"] = gone), "expired", token: gone);
    }

    [Fact]
    public void Refusals_never_show_the_token_even_when_it_is_the_only_thing_wrong()
    {
        var reasons = new List<string>
        {
            Refused(Entry(f => f["v"] = 2), "version"),
            Refused(Entry(f => f["name"] = "ITwinAuthToken-" + TokenText), "another name"),
            Refused(Entry(f => f["lifetime"] = 0), "lifetime"),
            Refused(Entry(f => f["expiresOn"] = TokenText), "expiry"),
            Refused(Entry(f => f["expiresOn"] = Date(_time.UtcNow - TimeSpan.FromMinutes(1))), "expired"),
            Refused(Entry(f => f["token"] = TokenText + " " + TokenText), "HTTP header"),
        };
        Assert.All(reasons, r => Assert.DoesNotContain(TokenText, r, StringComparison.Ordinal));
    }
}
