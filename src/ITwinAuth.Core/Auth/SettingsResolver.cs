using System;
using System.Collections.Generic;

namespace ITwinAuth.Core;

/// <summary>
/// The one place that decides which setting wins. Strongest first: the parameters, then what the
/// credential source stores (the secret's own settings, then its metadata; or, for the environment
/// source, the environment variables), then -Environment, then production.
/// An explicit -Environment never loses silently: when a host stored with the app differs from that
/// environment's host, the sign-in fails with <see cref="ITwinErrorIds.InvalidParameter"/>, because
/// the stored hosts belong to the app (its secret is valid there) and -Environment names others.
/// -Authority and -ApiBaseUri, which are parameters, override stored hosts.
/// </summary>
public static class SettingsResolver
{
    public static ConnectionSettings Resolve(AppSettings parameters, ITwinEnvironment? environment,
        IReadOnlyList<SettingsLayer> stored, string location, Func<ITwinAuthException> missingClientId)
    {
        var layers = new List<SettingsLayer>(stored.Count + 1) { new(SettingOrigin.Parameter, parameters) };
        layers.AddRange(stored);

        var (clientId, clientIdFrom) = First(layers, s => s.ClientId);
        var (scopes, scopesFrom) = First(layers, s => s.Scopes);
        var (authority, authorityFrom) = First(layers, s => s.Authority);
        var (apiBase, apiBaseFrom) = First(layers, s => s.ApiBaseUri);

        if (clientId is null) throw missingClientId();
        var fallback = environment is null ? SettingOrigin.Default : SettingOrigin.Environment;
        var deployment = environment ?? ITwinEnvironment.Production;

        var authorityUri = authority is null ? ITwinEndpoints.AuthorityFor(deployment) : CredentialBoundary.RequireUsable(authority, "Authority");
        var apiBaseUri = apiBase is null ? ITwinEndpoints.ApiBaseFor(deployment) : CredentialBoundary.RequireUsable(apiBase, "ApiBaseUri");
        if (environment is { } explicitEnvironment)
        {
            RequireAgreement(explicitEnvironment, "Authority", authorityUri, authorityFrom, ITwinEndpoints.AuthorityFor(explicitEnvironment), location);
            RequireAgreement(explicitEnvironment, "ApiBaseUri", apiBaseUri, apiBaseFrom, ITwinEndpoints.ApiBaseFor(explicitEnvironment), location);
        }

        return new ConnectionSettings(clientId, TokenClient.ValidateScopes(scopes), authorityUri, apiBaseUri,
            clientIdFrom ?? SettingOrigin.Default,
            scopesFrom ?? SettingOrigin.Default,
            authorityFrom ?? fallback,
            apiBaseFrom ?? fallback,
            environment);
    }

    /// <summary>The API host a -Token is for, as for a connection: -ApiBaseUri when given, else the token's
    /// own (the API of the connection it was got for; production for a token that has none).</summary>
    public static Uri ApiBaseForToken(string? parameter, ITwinAccessToken token) =>
        CredentialBoundary.AsBase(parameter is not null
            ? CredentialBoundary.RequireUsable(parameter, "ApiBaseUri")
            : token.ApiBaseUri ?? ITwinEndpoints.ApiBaseFor(ITwinEnvironment.Production));

    private static (T? Value, SettingOrigin? Origin) First<T>(List<SettingsLayer> layers, Func<AppSettings, T?> pick) where T : class
    {
        foreach (var layer in layers)
            if (pick(layer.Settings) is { } value)
                return (value, layer.Origin);
        return (null, null);
    }

    private static void RequireAgreement(ITwinEnvironment environment, string setting, Uri used, SettingOrigin? from, Uri environmentHost,
        string location)
    {
        if (from is null or SettingOrigin.Parameter || CredentialBoundary.SameEndpoint(used, environmentHost)) return;
        var where = from switch
        {
            SettingOrigin.Secret => $"the secret ({location})",
            SettingOrigin.Metadata => $"the secret's metadata ({location})",
            _ => $"the environment variables ({location})",
        };
        throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
            $"-Environment {environment} means {setting} {environmentHost.GetLeftPart(UriPartial.Path).TrimEnd('/')}, but {where} " +
            $"sets {setting} {used.GetLeftPart(UriPartial.Path).TrimEnd('/')}. Drop -Environment to use the stored hosts, " +
            "or give -Authority and -ApiBaseUri to override them.", "Environment");
    }
}
