using System.Net;
using System.Text;
using ITwinAuth.Emulator;
using Xunit;

namespace ITwinAuth.Core.Tests;

[Collection(EmulatorCollection.Name)]
public sealed class TokenFlowTests(EmulatorFixture emulator)
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    /// <summary>This test's engine on a clock that moves only when the module waits.</summary>
    private FakeTime UseFakeTime()
    {
        var time = new FakeTime();
        Context = new ClientContext(time);
        return time;
    }

    public static TheoryData<string> AwkwardSecrets => new()
    {
        "with spaces in it",
        "plus+and&amp=equals%25percent/slash",
        "ünïcödé-ßecret-密码-🔑",
        "quotes\"and'apostrophes\\back",
        "~!@#$^*()_{}|:<>?[];,.`",
        "%2B%26 looks-encoded-already",
    };

    [Theory]
    [MemberData(nameof(AwkwardSecrets))]
    public async Task Secrets_with_any_character_are_form_encoded_correctly(string secret)
    {
        var app = emulator.Register(secret);
        var log = new RecordingLog();
        var token = await ConnectionTokenSource.AcquireAsync(Context, emulator.Connect(app), InlineDispatcher.Instance, false, log, default);

        Assert.Equal(app.ClientId, token.ClientId);
        Assert.Equal("Bearer", token.TokenType);
        Assert.Equal(new[] { "itwin-platform" }, token.Scopes);
        Assert.InRange(token.ExpiresIn, TimeSpan.FromMinutes(58), TimeSpan.FromMinutes(60));
        Assert.DoesNotContain(log.Lines, l => l.Contains(secret));
        Assert.DoesNotContain(SecretText.Use(token.SecureToken, t => t), token.ToString());
    }

    [Fact]
    public async Task Wrong_secret_is_InvalidClient_with_authentication_category()
    {
        var app = emulator.Register();
        var wrong = new ServiceCredential(app.ClientId, SecretText.ToSecureString("not-the-secret"));
        var connection = new ServiceConnection(app.ClientId, emulator.Host.Authority, emulator.Host.ApiBaseUri, new[] { "itwin-platform" },
            new StaticCredentialSource(wrong.ClientId, wrong.Secret, CredentialSourceKind.Direct), null, null);

        var ex = await Assert.ThrowsAsync<ITwinApiException>(() =>
            ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, false, NullLogSink.Instance, default));

        Assert.Equal(ITwinErrorIds.InvalidClient, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.AuthenticationError, ex.Category);
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal("invalid_client", ex.ErrorCode);
        Assert.DoesNotContain("not-the-secret", ex.Message);
    }

    [Fact]
    public async Task Scope_the_app_does_not_have_is_InvalidScope()
    {
        var app = emulator.Register(scopes: new[] { "itwin-platform" });
        var ex = await Assert.ThrowsAsync<ITwinApiException>(() => ConnectionTokenSource.AcquireAsync(Context, 
            emulator.Connect(app, new[] { "users:read" }), InlineDispatcher.Instance, false, NullLogSink.Instance, default));

        Assert.Equal(ITwinErrorIds.InvalidScope, ex.ErrorId);
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Contains("users:read", ex.Message);
    }

    [Theory]
    [InlineData("openid")]
    [InlineData("email")]
    [InlineData("profile itwin-platform")]
    [InlineData("organization")]
    public void User_scopes_are_refused(string scope)
    {
        // A pure check; that nothing is sent is counted through the cmdlet (Reliability.Tests.ps1, Bad input).
        var ex = Assert.Throws<ITwinAuthException>(() => TokenClient.ValidateScopes(new[] { scope }));
        Assert.Equal(ITwinErrorIds.ScopeNotAllowed, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.InvalidArgument, ex.Category);
    }

    [Fact]
    public void Scopes_are_a_set_whatever_their_order_and_spacing()
    {
        Assert.Equal(new[] { "itwins:read", "users:read" }, TokenClient.ValidateScopes(new[] { "users:read  itwins:read", "users:read" }));
        Assert.Equal(new[] { "itwin-platform" }, TokenClient.ValidateScopes(null));
    }

    [Fact]
    public async Task Discovery_finds_the_token_endpoint_on_the_authority()
    {
        Context.Discovery.Forget();
        var endpoint = await Context.Discovery.GetTokenEndpointAsync(emulator.Host.Authority, NullLogSink.Instance, default);
        Assert.Equal(new Uri(emulator.Host.Authority, "connect/token"), endpoint);
    }

    [Fact]
    public async Task Discovery_without_token_endpoint_is_DiscoveryDocumentInvalid()
    {
        Context.Discovery.Forget();
        emulator.Arm(new FaultRule { Path = "/.well-known/openid-configuration", Status = 200, Body = "{\"issuer\":\"x\"}" });
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() =>
            Context.Discovery.GetTokenEndpointAsync(emulator.Host.Authority, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.DiscoveryDocumentInvalid, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.InvalidData, ex.Category);
    }

    [Fact]
    public async Task Discovery_naming_a_token_endpoint_on_another_host_is_refused()
    {
        Context.Discovery.Forget();
        emulator.Arm(new FaultRule
        {
            Path = "/.well-known/openid-configuration", Status = 200,
            Body = $"{{\"token_endpoint\":\"{emulator.Host.ForeignUri}connect/token\"}}",
        });
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() =>
            Context.Discovery.GetTokenEndpointAsync(emulator.Host.Authority, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.DiscoveryDocumentInvalid, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.SecurityError, ex.Category);
        Assert.Empty(emulator.Stats.ForeignRequests);
    }

    [Fact]
    public async Task Discovery_answering_404_is_DiscoveryFailed()
    {
        Context.Discovery.Forget();
        emulator.Arm(new FaultRule { Path = "/.well-known/openid-configuration", Status = 404, Body = "not here", ContentType = "text/plain" });
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() =>
            Context.Discovery.GetTokenEndpointAsync(emulator.Host.Authority, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.DiscoveryFailed, ex.ErrorId);
    }

    [Fact]
    public async Task Unreachable_authority_is_AuthorityUnreachable()
    {
        using var time = UseFakeTime(); // the back-off between the refused connections passes at once
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() =>
            Context.Discovery.GetTokenEndpointAsync(new Uri($"http://127.0.0.1:{port}/"), NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.AuthorityUnreachable, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.ConnectionError, ex.Category);
        Assert.NotEmpty(time.Waits); // retried after a back-off before giving up
    }

    private static HttpResult Response(int status, string body, string contentType = "application/json") =>
        new(HttpMethod.Post, new Uri("https://ims.example/connect/token"), (HttpStatusCode)status, "reason",
            new Dictionary<string, string[]>(), contentType, Encoding.UTF8.GetBytes(body));

    private static readonly TokenCacheKey Key = new TokenCache(Clock.System).KeyFor(new Uri("https://ims.example"),
        new ServiceCredential("service-x", SecretText.ToSecureString("s")), new[] { "itwin-platform" });

    [Theory]
    [InlineData("{\"access_token\":\"abc\",\"token_type\":\"Bearer\",\"expires_in\":3599}", 3599, "itwin-platform")]
    [InlineData("{\"access_token\":\"abc\",\"expires_in\":\"120\"}", 120, "itwin-platform")]
    [InlineData("{\"access_token\":\"abc\",\"token_type\":\"bearer\",\"expires_in\":60.0,\"scope\":\"users:read itwins:read\"}", 60, "itwins:read users:read")]
    [InlineData("{\"access_token\":\"abc\"}", 3600, "itwin-platform")]
    public void Token_responses_parse_in_every_plausible_form(string body, int lifetime, string scopes)
    {
        var token = TokenClient.ParseResponse(Response(200, body), "service-x", new[] { "itwin-platform" },
            new Uri("https://ims.example"), Key, Clock.System.Now, DateTimeOffset.UtcNow, Clock.System);
        Assert.Equal(TimeSpan.FromSeconds(lifetime), token.Lifetime);
        Assert.Equal("Bearer", token.TokenType);
        Assert.Equal(scopes, string.Join(" ", token.Scopes));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"access_token\":\"\"}")]
    [InlineData("{\"access_token\":42}")]
    [InlineData("{\"access_token\":\"abc\",\"expires_in\":0}")]
    [InlineData("<html>gateway</html>")]
    [InlineData("{\"access_token\":\"abc\"")]
    public void Token_responses_without_a_usable_token_are_TokenResponseInvalid(string body)
    {
        var ex = Assert.Throws<ITwinAuthException>(() => TokenClient.ParseResponse(Response(200, body), "service-x",
            new[] { "itwin-platform" }, new Uri("https://ims.example"), Key, Clock.System.Now, DateTimeOffset.UtcNow, Clock.System));
        Assert.Equal(ITwinErrorIds.TokenResponseInvalid, ex.ErrorId);
    }

    [Theory]
    [InlineData(401, "{\"error\":\"invalid_client\"}", ITwinErrorIds.InvalidClient, ITwinErrorCategory.AuthenticationError)]
    [InlineData(400, "{\"error\":\"invalid_scope\",\"error_description\":\"nope\"}", ITwinErrorIds.InvalidScope, ITwinErrorCategory.PermissionDenied)]
    [InlineData(400, "{\"error\":\"unsupported_grant_type\"}", ITwinErrorIds.UnsupportedGrantType, ITwinErrorCategory.InvalidOperation)]
    [InlineData(400, "{\"error\":\"invalid_grant\"}", ITwinErrorIds.InvalidGrant, ITwinErrorCategory.AuthenticationError)]
    [InlineData(400, "{\"error\":\"invalid_request\"}", ITwinErrorIds.InvalidTokenRequest, ITwinErrorCategory.InvalidArgument)]
    [InlineData(502, "<html>Bad gateway</html>", ITwinErrorIds.TokenRequestFailed, ITwinErrorCategory.ResourceUnavailable)]
    public void Token_errors_map_to_ids_and_categories(int status, string body, string errorId, ITwinErrorCategory category)
    {
        var ex = TokenClient.ErrorFrom(Response(status, body), "service-x", "itwin-platform");
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(category, ex.Category);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
    }
}

public sealed class EnvironmentTests
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    /// <summary>This test's engine on a clock that moves only when the module waits.</summary>
    private FakeTime UseFakeTime()
    {
        var time = new FakeTime();
        Context = new ClientContext(time);
        return time;
    }

    [Theory]
    [InlineData(ITwinEnvironment.Production, "https://ims.bentley.com/", "https://api.bentley.com/")]
    [InlineData(ITwinEnvironment.QA, "https://qa-ims.bentley.com/", "https://qa-api.bentley.com/")]
    [InlineData(ITwinEnvironment.Dev, "https://qa-ims.bentley.com/", "https://dev-api.bentley.com/")]
    public void Environments_map_to_the_official_hosts(ITwinEnvironment environment, string authority, string api)
    {
        Assert.Equal(new Uri(authority), ITwinEndpoints.AuthorityFor(environment));
        Assert.Equal(new Uri(api), ITwinEndpoints.ApiBaseFor(environment));
    }
}
