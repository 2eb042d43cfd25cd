using System;

namespace ITwinAuth.Core;

/// <summary>The settings a connection really uses, each with where it came from.</summary>
public sealed class ConnectionSettings
{
    public ConnectionSettings(string clientId, string[] scopes, Uri authority, Uri apiBaseUri,
        SettingOrigin clientIdFrom, SettingOrigin scopesFrom, SettingOrigin authorityFrom, SettingOrigin apiBaseUriFrom,
        ITwinEnvironment? requestedEnvironment = null)
    {
        _requestedEnvironment = requestedEnvironment;
        ClientId = clientId;
        Scopes = scopes;
        Authority = authority;
        ApiBaseUri = CredentialBoundary.AsBase(apiBaseUri);
        ClientIdFrom = clientIdFrom;
        ScopesFrom = scopesFrom;
        AuthorityFrom = authorityFrom;
        ApiBaseUriFrom = apiBaseUriFrom;
    }

    private readonly ITwinEnvironment? _requestedEnvironment;

    public string ClientId { get; }
    public string[] Scopes { get; }
    public Uri Authority { get; }
    public Uri ApiBaseUri { get; }
    public SettingOrigin ClientIdFrom { get; }
    public SettingOrigin ScopesFrom { get; }
    public SettingOrigin AuthorityFrom { get; }
    public SettingOrigin ApiBaseUriFrom { get; }

    /// <summary>-Environment when it was given (no stored host contradicts it: the resolver refuses
    /// that; only -Authority/-ApiBaseUri may); otherwise the deployment whose hosts these are, or
    /// null for other hosts (an emulator, a proxy).</summary>
    public ITwinEnvironment? Environment
    {
        get
        {
            if (_requestedEnvironment is { } requested) return requested;
            foreach (ITwinEnvironment candidate in Enum.GetValues(typeof(ITwinEnvironment)))
                if (CredentialBoundary.SameEndpoint(Authority, ITwinEndpoints.AuthorityFor(candidate)) &&
                    CredentialBoundary.SameEndpoint(ApiBaseUri, ITwinEndpoints.ApiBaseFor(candidate)))
                    return candidate;
            return null;
        }
    }

    /// <summary>e.g. "ClientId=Secret, Scopes=Metadata, Authority=Parameter, ApiBaseUri=Parameter".</summary>
    public string Origins =>
        $"ClientId={ClientIdFrom}, Scopes={ScopesFrom}, Authority={AuthorityFrom}, ApiBaseUri={ApiBaseUriFrom}";

    /// <summary>True when both name the same app, scopes and hosts.</summary>
    public bool SameAs(ConnectionSettings other) =>
        string.Equals(ClientId, other.ClientId, StringComparison.Ordinal) &&
        string.Equals(string.Join(" ", Scopes), string.Join(" ", other.Scopes), StringComparison.Ordinal) &&
        CredentialBoundary.SameEndpoint(Authority, other.Authority) &&
        CredentialBoundary.SameEndpoint(ApiBaseUri, other.ApiBaseUri);
}
