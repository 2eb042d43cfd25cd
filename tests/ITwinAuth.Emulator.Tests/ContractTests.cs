using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Xunit;

namespace ITwinAuth.Emulator.Tests;

/// <summary>The emulator behaves as IMS and the API do (it is what every test of the module trusts).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ContractTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task Accepts_client_authentication_by_HTTP_Basic_with_form_encoded_credentials()
    {
        var app = emulator.Register("basic secret+with&odd=chars/é");
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(
            Uri.EscapeDataString(app.ClientId) + ":" + Uri.EscapeDataString(app.ClientSecret).Replace("%20", "+")));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(emulator.Host.Authority, "connect/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "itwin-platform" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        using var response = await emulator.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("access_token", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Issues_RS256_signed_JWTs_that_are_not_encrypted()
    {
        var parts = (await emulator.TokenAsync(emulator.Register())).Split('.');
        Assert.Equal(3, parts.Length);
        var header = Encoding.UTF8.GetString(Convert.FromBase64String(parts[0].PadRight(parts[0].Length + (4 - parts[0].Length % 4) % 4, '=')));
        Assert.Contains("\"alg\":\"RS256\"", header);
        Assert.Contains("\"typ\":\"at+jwt\"", header);
    }

    [Fact]
    public async Task Answers_403_InsufficientPermissions_for_a_token_without_the_scope()
    {
        var app = emulator.Register(scopes: new[] { "itwins:read" });
        using var response = await emulator.GetAsync(await emulator.TokenAsync(app, "itwins:read"), "users/me");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("InsufficientPermissions", await Api.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Refuses_an_expired_token_with_401_and_zero_clock_skew()
    {
        // An emulator of its own: moving its token time forward would age every other test's tokens.
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions());
        // Its token time stands still, so a slow machine cannot age the token before the first call.
        host.State.Clock.Freeze(true);
        // 2 s, not 1: expires_in is rounded down, and a 1-second token can arrive as 0 (already expired).
        var app = host.State.Apps.Register(new AppRegistration(null, null, null, null, 2));
        var token = await Api.TokenAsync(emulator.Http, host, app.ClientId, app.ClientSecret, "itwin-platform");
        using (var fresh = await Api.GetAsync(emulator.Http, host.ApiBaseUri, token, "users/me")) Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        // exp is at most issue time + 2 s: 2.1 s later on the emulator's clock the token is surely dead,
        // and a skew of even a second would still let it through.
        host.State.Clock.Advance(TimeSpan.FromSeconds(2.1));
        using var response = await Api.GetAsync(emulator.Http, host.ApiBaseUri, token, "users/me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("InvalidAuthorizationToken", await response.Content.ReadAsStringAsync());
    }
}
