using ITwinAuth;
using ITwinAuth.Core;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>Which setting wins, case by case: parameters, the secret, its metadata, environment
/// variables, -Environment, production.</summary>
public sealed class SettingsResolverTests
{
    private const string Location = "SecretManagement vault 'V' secret 'app'";
    private static readonly AppSettings NoParameters = AppSettings.None;

    private static SettingsLayer Secret(string? clientId = null, string? scope = null, string? authority = null, string? api = null) =>
        new(SettingOrigin.Secret, new AppSettings { ClientId = clientId, Scopes = AppSettings.CleanScopes(scope), Authority = authority, ApiBaseUri = api });

    private static SettingsLayer Metadata(string? clientId = null, string? scope = null, string? authority = null, string? api = null) =>
        new(SettingOrigin.Metadata, new AppSettings { ClientId = clientId, Scopes = AppSettings.CleanScopes(scope), Authority = authority, ApiBaseUri = api });

    private static SettingsLayer Variables(string? clientId = null, string? scope = null, string? authority = null, string? api = null) =>
        new(SettingOrigin.EnvironmentVariable, new AppSettings { ClientId = clientId, Scopes = AppSettings.CleanScopes(scope), Authority = authority, ApiBaseUri = api });

    private static ConnectionSettings Resolve(AppSettings parameters, ITwinEnvironment? environment, params SettingsLayer[] layers) =>
        SettingsResolver.Resolve(parameters, environment, layers, Location, () => new ITwinAuthException(ITwinErrorIds.ClientIdMissing, ITwinErrorCategory.InvalidArgument, "none"));

    [Fact]
    public void Nothing_stored_and_no_parameters_is_production_with_the_default_scope()
    {
        var settings = Resolve(NoParameters, null, Secret(clientId: "service-a"));
        Assert.Equal(new Uri("https://ims.bentley.com"), settings.Authority);
        Assert.Equal(new Uri("https://api.bentley.com/"), settings.ApiBaseUri);
        Assert.Equal(new[] { "itwin-platform" }, settings.Scopes);
        Assert.Equal(ITwinEnvironment.Production, settings.Environment);
        Assert.Equal("ClientId=Secret, Scopes=Default, Authority=Default, ApiBaseUri=Default", settings.Origins);
    }

    [Fact]
    public void Parameters_beat_the_secret_and_its_metadata()
    {
        var parameters = new AppSettings { ClientId = "service-p", Scopes = new[] { "users:read" }, Authority = "https://p-ims.example", ApiBaseUri = "https://p-api.example" };
        var settings = Resolve(parameters, null,
            Secret("service-s", "itwins:read", "https://s-ims.example", "https://s-api.example"),
            Metadata("service-m", "imodels:read", "https://m-ims.example", "https://m-api.example"));
        Assert.Equal("service-p", settings.ClientId);
        Assert.Equal(new[] { "users:read" }, settings.Scopes);
        Assert.Equal(new Uri("https://p-ims.example"), settings.Authority);
        Assert.Equal(new Uri("https://p-api.example/"), settings.ApiBaseUri);
        Assert.Equal("ClientId=Parameter, Scopes=Parameter, Authority=Parameter, ApiBaseUri=Parameter", settings.Origins);
    }

    [Fact]
    public void The_secret_beats_its_metadata_and_metadata_fills_what_the_secret_lacks()
    {
        var settings = Resolve(NoParameters, null,
            Secret(clientId: "service-s", authority: "https://s-ims.example"),
            Metadata("service-m", "itwins:read users:read", "https://m-ims.example", "https://m-api.example"));
        Assert.Equal("service-s", settings.ClientId);
        Assert.Equal(new Uri("https://s-ims.example"), settings.Authority);
        Assert.Equal(new Uri("https://m-api.example/"), settings.ApiBaseUri);
        Assert.Equal(new[] { "itwins:read", "users:read" }, settings.Scopes);
        Assert.Equal("ClientId=Secret, Scopes=Metadata, Authority=Secret, ApiBaseUri=Metadata", settings.Origins);
        Assert.Null(settings.Environment);
    }

    [Fact]
    public void Environment_variables_beat_Environment_and_production()
    {
        var settings = Resolve(NoParameters, null, Variables("service-e", "users:read", "https://e-ims.example", "https://e-api.example"));
        Assert.Equal("ClientId=EnvironmentVariable, Scopes=EnvironmentVariable, Authority=EnvironmentVariable, ApiBaseUri=EnvironmentVariable", settings.Origins);
        Assert.Equal(new Uri("https://e-ims.example"), settings.Authority);
    }

    [Theory]
    [InlineData(ITwinEnvironment.QA, "https://qa-ims.bentley.com", "https://qa-api.bentley.com/")]
    [InlineData(ITwinEnvironment.Dev, "https://qa-ims.bentley.com", "https://dev-api.bentley.com/")]
    [InlineData(ITwinEnvironment.Production, "https://ims.bentley.com", "https://api.bentley.com/")]
    public void Environment_fills_the_hosts_nothing_else_gives(ITwinEnvironment environment, string authority, string api)
    {
        var settings = Resolve(NoParameters, environment, Secret(clientId: "service-s"));
        Assert.Equal(new Uri(authority), settings.Authority);
        Assert.Equal(new Uri(api), settings.ApiBaseUri);
        Assert.Equal(environment, settings.Environment);
        Assert.Equal(SettingOrigin.Environment, settings.AuthorityFrom);
        Assert.Equal(SettingOrigin.Environment, settings.ApiBaseUriFrom);
    }

    [Theory]
    [InlineData(SettingOrigin.Secret, "the secret")]
    [InlineData(SettingOrigin.Metadata, "the secret's metadata")]
    [InlineData(SettingOrigin.EnvironmentVariable, "the environment variables")]
    public void An_explicit_Environment_against_a_stored_host_is_InvalidParameter(SettingOrigin origin, string where)
    {
        var layer = new SettingsLayer(origin, new AppSettings { ClientId = "service-s", Authority = "https://ims.bentley.com" });
        var ex = Assert.Throws<ITwinAuthException>(() => Resolve(NoParameters, ITwinEnvironment.QA, layer));
        Assert.Equal(ITwinErrorIds.InvalidParameter, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.InvalidArgument, ex.Category);
        Assert.Contains("-Environment QA means Authority https://qa-ims.bentley.com", ex.Message);
        Assert.Contains(where, ex.Message);
        Assert.Contains("https://ims.bentley.com", ex.Message);
    }

    [Fact]
    public void An_explicit_Environment_agrees_with_stored_hosts_that_are_its_own()
    {
        var settings = Resolve(NoParameters, ITwinEnvironment.QA,
            Metadata(clientId: "service-m", authority: "https://qa-ims.bentley.com/", api: "https://QA-API.bentley.com"));
        Assert.Equal(ITwinEnvironment.QA, settings.Environment);
        Assert.Equal(SettingOrigin.Metadata, settings.AuthorityFrom);
    }

    [Fact]
    public void Explicit_hosts_override_stored_ones_next_to_an_explicit_Environment()
    {
        var parameters = new AppSettings { Authority = "https://p-ims.example", ApiBaseUri = "https://p-api.example" };
        var settings = Resolve(parameters, ITwinEnvironment.QA,
            Secret(clientId: "service-s", authority: "https://s-ims.example", api: "https://s-api.example"));
        Assert.Equal(new Uri("https://p-ims.example"), settings.Authority);
        Assert.Equal(ITwinEnvironment.QA, settings.Environment);
    }

    [Fact]
    public void No_client_id_anywhere_raises_the_sources_own_error()
    {
        var ex = Assert.Throws<ITwinAuthException>(() => Resolve(NoParameters, null, Secret(), Metadata(scope: "itwin-platform")));
        Assert.Equal(ITwinErrorIds.ClientIdMissing, ex.ErrorId);
    }

    [Fact]
    public void A_stored_host_is_held_to_the_same_rules_as_a_parameter()
    {
        var ex = Assert.Throws<ITwinAuthException>(() => Resolve(NoParameters, null, Metadata(clientId: "service-m", authority: "http://ims.example")));
        Assert.Equal(ITwinErrorIds.InsecureUri, ex.ErrorId);
        var refused = Assert.Throws<ITwinAuthException>(() => Resolve(NoParameters, null, Metadata(clientId: "service-m", scope: "openid")));
        Assert.Equal(ITwinErrorIds.ScopeNotAllowed, refused.ErrorId);
    }

    [Fact]
    public void Complete_parameters_need_no_further_read()
    {
        Assert.False(new AppSettings { ClientId = "a", Scopes = new[] { "s" }, Authority = "https://x" }.IsComplete);
        Assert.True(new AppSettings { ClientId = "a" }.Over(new AppSettings { Scopes = new[] { "s" }, Authority = "https://x", ApiBaseUri = "https://y" }).IsComplete);
        Assert.Equal("a", new AppSettings { ClientId = "a" }.Over(new AppSettings { ClientId = "b" }).ClientId);
    }

    [Fact]
    public void A_token_is_for_the_API_of_its_connection_and_minus_ApiBaseUri_names_another()
    {
        // QA's and Dev's APIs share QA's identity service, so one cached token serves both connections.
        var source = new StaticCredentialSource("service-t", SecretText.ToSecureString("s"), CredentialSourceKind.Direct);
        var qa = new ServiceConnection("service-t", ITwinEndpoints.AuthorityFor(ITwinEnvironment.QA), ITwinEndpoints.ApiBaseFor(ITwinEnvironment.QA),
            new[] { "itwin-platform" }, source, ITwinEnvironment.QA, null);
        var dev = new ServiceConnection("service-t", ITwinEndpoints.AuthorityFor(ITwinEnvironment.Dev), ITwinEndpoints.ApiBaseFor(ITwinEnvironment.Dev),
            new[] { "itwin-platform" }, source, ITwinEnvironment.Dev, null);
        var cached = new TokenCache(Clock.System).KeyFor(qa.Settings.Authority, new ServiceCredential("service-t", SecretText.ToSecureString("s")), qa.Settings.Scopes);
        var token = new ITwinAccessToken(SecretText.ToSecureString("t"), "Bearer", TimeSpan.FromHours(1), DateTimeOffset.UtcNow, Clock.System.Now,
            new[] { "itwin-platform" }, "service-t", qa.Settings.Authority, cached, fromCache: false, Clock.System);

        Assert.Null(token.ApiBaseUri);
        Assert.Equal(new Uri("https://qa-api.bentley.com/"), SettingsResolver.ApiBaseForToken(null, token.For(qa)));
        Assert.Equal(new Uri("https://dev-api.bentley.com/"), SettingsResolver.ApiBaseForToken(null, token.For(dev)));
        Assert.Equal(new Uri("https://other.example/api/"), SettingsResolver.ApiBaseForToken("https://other.example/api", token.For(qa)));
        var insecure = Assert.Throws<ITwinAuthException>(() => SettingsResolver.ApiBaseForToken("http://api.example", token.For(qa)));
        Assert.Equal(ITwinErrorIds.InsecureUri, insecure.ErrorId);
    }

    [Theory]
    [InlineData("https://user:Pw-4711@other.example/api")]
    [InlineData("http://user:Pw-4711@127.0.0.1:5000/")]
    [InlineData("https://Pw-4711@other.example/")]
    public void An_API_or_authority_with_a_user_and_password_in_it_is_refused_without_showing_them(string text)
    {
        // ITwinAuth sends only its token or its client secret: a user:password@ in a host would be kept on the
        // connection and the token (Get-ITwinConnection shows it) for a host no request may then reach.
        var source = new StaticCredentialSource("service-t", SecretText.ToSecureString("s"), CredentialSourceKind.Direct);
        var qa = new ServiceConnection("service-t", ITwinEndpoints.AuthorityFor(ITwinEnvironment.QA), ITwinEndpoints.ApiBaseFor(ITwinEnvironment.QA),
            new[] { "itwin-platform" }, source, ITwinEnvironment.QA, null);
        var cached = new TokenCache(Clock.System).KeyFor(qa.Settings.Authority, new ServiceCredential("service-t", SecretText.ToSecureString("s")), qa.Settings.Scopes);
        var token = new ITwinAccessToken(SecretText.ToSecureString("t"), "Bearer", TimeSpan.FromHours(1), DateTimeOffset.UtcNow, Clock.System.Now,
            new[] { "itwin-platform" }, "service-t", qa.Settings.Authority, cached, fromCache: false, Clock.System).For(qa);

        foreach (var refusal in new[]
                 {
                     Assert.Throws<ITwinAuthException>(() => SettingsResolver.ApiBaseForToken(text, token)),
                     Assert.Throws<ITwinAuthException>(() => CredentialBoundary.RequireUsable(text, "Authority")),
                 })
        {
            Assert.Equal(ITwinErrorIds.InvalidUri, refusal.ErrorId);
            Assert.DoesNotContain("Pw-4711", refusal.Message, StringComparison.Ordinal);
        }
    }
}
