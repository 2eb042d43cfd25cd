using System;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// A signed-in service application: which app, where it signs in, which API it calls, and where its
/// secret comes from. It never holds a readable secret: a vault is read again when a token must be
/// renewed, and a secret given directly is kept only as a SecureString.
/// </summary>
public sealed class ITwinConnection
{
    internal ITwinConnection(string clientId, Uri authority, Uri apiBaseUri, string[] scopes, CredentialSource source,
        ITwinEnvironment? environment, TimeSpan? refreshMargin)
    {
        ClientId = clientId;
        Authority = authority;
        ApiBaseUri = apiBaseUri;
        Scopes = scopes;
        Source = source;
        Environment = environment;
        RefreshMargin = refreshMargin;
    }

    public string ClientId { get; }
    public Uri Authority { get; }
    public Uri ApiBaseUri { get; }
    public string[] Scopes { get; }
    public ITwinEnvironment? Environment { get; }

    /// <summary>Where the secret comes from, e.g. "Vault 'ci' secret 'itwin-app'"; never the secret.</summary>
    public string CredentialSource => Source.Description;
    public CredentialSourceKind CredentialSourceKind => Source.Kind;

    /// <summary>When the cached token of this connection expires; null when none is cached.</summary>
    public DateTimeOffset? TokenExpiresOn => LastKey is { } key ? TokenCache.Shared.Peek(key)?.ExpiresOn : null;

    internal CredentialSource Source { get; }
    internal TimeSpan? RefreshMargin { get; }

    /// <summary>The cache key of the last token this connection used, so that a fresh token is found
    /// without reading the secret again.</summary>
    internal TokenCacheKey? LastKey { get; set; }

    public override string ToString() => $"{ClientId} -> {ApiBaseUri}";
}
