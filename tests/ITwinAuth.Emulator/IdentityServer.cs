using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace ITwinAuth.Emulator;

/// <summary>The emulated IMS: OpenIddict in degraded mode, so that client and scope checks answer
/// exactly as IMS (IdentityServer) does: invalid_client 401, invalid_scope 400.</summary>
public static class IdentityServer
{
    public const string Audience = "itwin-platform";

    /// <summary>Scopes IMS knows. A client may request only those it was registered with.</summary>
    public static readonly string[] KnownScopes =
    {
        "itwin-platform", "users:read", "itwins:read", "itwins:modify", "imodels:read", "imodels:modify",
        "projects:read", "projects:modify", "openid", "email", "profile", "organization",
    };

    public static void AddEmulatedIms(this IServiceCollection services, EmulatorState state)
    {
        services.AddOpenIddict().AddServer(options =>
        {
            options.SetIssuer(state.IssuerUri);
            options.SetTokenEndpointUris("connect/token");
            options.AllowClientCredentialsFlow();
            options.RegisterScopes(KnownScopes);
            options.SetAccessTokenLifetime(TimeSpan.FromSeconds(state.Options.TokenLifetimeSeconds));
            options.Configure(o => o.TimeProvider = state.Clock);

            // A 2048-bit key made once: OpenIddict's ephemeral RSA-4096 keys cost ~7 s on first use.
            options.AddSigningKey(state.SigningKey);
            options.AddEncryptionKey(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)));
            options.DisableAccessTokenEncryption();
            options.EnableDegradedMode();
            options.UseAspNetCore()
                .EnableTokenEndpointPassthrough()
                .DisableTransportSecurityRequirement();

            options.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(builder =>
                builder.UseInlineHandler(context => ValidateClient(context, state)));

            options.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(builder =>
                builder.UseInlineHandler(context =>
                {
                    if (context.Response.AccessToken is { } issued) state.Stats.IssuedTokens.Enqueue(issued);
                    return default;
                }));

            options.AddEventHandler<OpenIddictServerEvents.HandleConfigurationRequestContext>(builder =>
                builder.UseInlineHandler(context =>
                {
                    // The fields openid-client (behind @itwin/service-authorization) insists on.
                    context.AuthorizationEndpoint = new Uri(state.IssuerUri, "connect/authorize");
                    if (!context.ResponseTypes.Contains(ResponseTypes.Code)) context.ResponseTypes.Add(ResponseTypes.Code);
                    if (!context.IdTokenSigningAlgorithms.Contains(SecurityAlgorithms.RsaSha256))
                        context.IdTokenSigningAlgorithms.Add(SecurityAlgorithms.RsaSha256);
                    return default;
                }));
        });
    }

    private static ValueTask ValidateClient(OpenIddictServerEvents.ValidateTokenRequestContext context, EmulatorState state)
    {
        state.Stats.TokenRequested();
        var app = state.Apps.Find(context.ClientId);
        if (app is null || !AppRegistry.SecretMatches(app, context.ClientSecret))
        {
            context.Reject(Errors.InvalidClient, "Invalid client credentials.");
            return default;
        }

        var refused = context.Request.GetScopes().Where(s => !app.Scopes.Contains(s, StringComparer.Ordinal)).ToArray();
        if (refused.Length > 0)
            context.Reject(Errors.InvalidScope, $"The client is not allowed the scope '{string.Join(" ", refused)}'.");
        return default;
    }

    /// <summary>Replaces the signing key: JWKS then lists only the new one, so tokens signed with
    /// the old key stop validating once the API refreshes its keys (it is told to, at once).</summary>
    public static async Task RotateSigningKeyAsync(IServiceProvider services, EmulatorState state)
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "emulator-" + Guid.NewGuid().ToString("N")[..8] };
        var credentials = services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue.SigningCredentials;
        lock (credentials)
        {
            credentials.Clear();
            credentials.Add(new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
        }
        state.SigningKey = key;

        // Wait until the API's cached keys are the new ones (IdentityModel refreshes in the background).
        var manager = services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions>>()
            .Get(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme).ConfigurationManager;
        if (manager is null) return;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            manager.RequestRefresh();
            var configuration = await manager.GetConfigurationAsync(CancellationToken.None);
            if (configuration.SigningKeys.All(k => k.KeyId == key.KeyId) && configuration.SigningKeys.Count > 0) return;
            await Task.Delay(200);
        }
        throw new TimeoutException("The API did not pick up the rotated key.");
    }

    public static void MapEmulatedIms(this WebApplication app, EmulatorState state)
    {
        app.MapPost("/connect/token", (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest()!;
            var client = state.Apps.Find(request.ClientId)!;
            var scopes = request.GetScopes();
            var granted = scopes.IsDefaultOrEmpty ? client.Scopes : scopes.ToArray();

            var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, client.UserId.ToString());
            identity.SetClaim(Claims.ClientId, client.ClientId);
            identity.SetClaim(Claims.Name, client.Name);
            identity.SetScopes(granted);
            identity.SetResources(Audience);
            identity.SetDestinations(_ => new[] { Destinations.AccessToken });

            var principal = new ClaimsPrincipal(identity);
            principal.SetAccessTokenLifetime(TimeSpan.FromSeconds(client.TokenLifetimeSeconds ?? state.TokenLifetimeSeconds));
            state.Stats.TokenIssued();
            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });

        app.MapGet("/connect/authorize", () => Results.Json(
            new { error = "unsupported_response_type", error_description = "The emulator serves service applications only." },
            statusCode: 400));
    }
}
