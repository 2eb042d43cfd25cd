using System.Text;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>What a token says about itself: a JWT's payload decoded, an opaque token said to be one.</summary>
public sealed class ClaimsTests
{
    private static string Jwt(string payloadJson) =>
        "eyJhbGciOiJSUzI1NiJ9." + Convert.ToBase64String(Encoding.UTF8.GetBytes(payloadJson)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".c2ln";

    [Fact]
    public void A_JWT_payload_gives_its_claims_with_scopes_as_an_array_or_a_string()
    {
        var claims = ITwinTokenClaims.Decode(Jwt("""{"sub":"s-1","client_id":"service-x","iss":"https://ims.example","aud":["itwin-platform","x"],"scope":["itwin-platform","users:read"],"org_name":"Contoso","iat":1700000000,"nbf":1700000000,"exp":1700003600,"jti":"j"}"""));
        Assert.True(claims.IsJwt);
        Assert.Equal("service-x", claims.ClientId);
        Assert.Equal("s-1", claims.Subject);
        Assert.Equal(new[] { "itwin-platform", "x" }, claims.Audience);
        Assert.Equal(new[] { "itwin-platform", "users:read" }, claims.Scopes);
        Assert.Equal("Contoso", claims.Organization);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700003600), claims.ExpiresAt);
        Assert.Equal(new[] { "a", "b" }, ITwinTokenClaims.Decode(Jwt("""{"scope":"a b"}""")).Scopes);
    }

    [Theory]
    [InlineData("opaque-token-value")]
    [InlineData("a.b")]
    [InlineData("a.!!!.c")]
    [InlineData("a.bm90IGpzb24.c")] // "not json"
    public void A_token_that_is_not_a_JWT_has_no_claims_and_says_so(string token)
    {
        var claims = ITwinTokenClaims.Decode(token);
        Assert.False(claims.IsJwt);
        Assert.Null(claims.ClientId);
        Assert.Contains("not a JWT", claims.ToString());
    }

    [Fact]
    public void Claim_values_reach_the_user_without_control_characters()
    {
        var claims = ITwinTokenClaims.Decode(Jwt("{\"client_id\":\"evil\\u001b]52;c;bad\\u0007\",\"scope\":\"a\\u009bb\"}"));
        Assert.Equal("evil?]52;c;bad?", claims.ClientId);
        Assert.Equal(new[] { "a?b" }, claims.Scopes);
    }
}

/// <summary>ServerText: whatever was cut, the result stays within the stated size, its cut mark included.</summary>
public sealed class ServerTextTests
{
    [Theory]
    [InlineData(2000, 1_000_000)]
    [InlineData(2000, 4000)]
    [InlineData(16 * 1024, 20_000)]
    [InlineData(500, 501)]
    public void A_cut_text_with_its_mark_stays_within_the_maximum(int maximum, int length)
    {
        var text = ServerText.Line(new string('x', length), maximum);
        Assert.True(text.Length <= maximum, $"{text.Length} > {maximum}");
        Assert.EndsWith("more characters)", text);
        Assert.Equal(maximum, ServerText.Line(new string('y', maximum), maximum).Length);
    }

    [Fact]
    public void A_URI_with_a_user_and_password_loses_them_and_escapes_lose_their_control_characters()
    {
        var text = ServerText.Line("proxy http://user:P4ss@proxy.example:8080/ said \u001b]52;c;x\u0007 \u009b31m \u202e", 500);
        Assert.DoesNotContain("P4ss", text, StringComparison.Ordinal);
        Assert.All(text, c => Assert.False(c < ' ' || (c >= '\u007f' && c <= '\u009f') || c == '\u202e', $"U+{(int)c:X4}"));
    }

    [Fact]
    public void Unicode_line_and_paragraph_separators_do_not_reach_a_line()
    {
        // U+2028 and U+2029 end a line where Unicode line breaking applies (editors showing a transcript, JSON
        // viewers), as NEL (U+0085, C1) does; a server's text must not start a line of its own.
        var text = ServerText.Line("Not found.\u2028WARNING: run Remove-Item ~ -Recurse\u2029", 500);
        Assert.Equal("Not found.?WARNING: run Remove-Item ~ -Recurse?", text);
        Assert.DoesNotContain('\u2028', ServerText.Block("a\u2028b\nc"));
    }

    [Fact]
    public void Invisible_marks_do_not_reach_a_line_but_the_joiners_that_scripts_need_do()
    {
        // LRM, RLM and ALM reorder what is around them; a zero-width space, a word joiner or a BOM hide a
        // difference ("admin" and "ad\u200bmin"). The joiners stay: emoji sequences and Persian need them.
        Assert.Equal("a?b?c?d?e?f?g", ServerText.Line("a\u200eb\u200fc\u061cd\u200be\u2060f\ufeffg", 500));
        Assert.Equal("\U0001F469\u200d\U0001F4BB \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", ServerText.Line("\U0001F469\u200d\U0001F4BB \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", 500));
    }
}
