using System;
using System.Security;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// An access token from the iTwin identity service. The token itself is only ever a
/// <see cref="SecureString"/> (usable with Invoke-RestMethod -Authentication Bearer -Token);
/// nothing here prints it.
/// </summary>
public sealed class ITwinAccessToken
{
    internal ITwinAccessToken(SecureString token, string tokenType, TimeSpan lifetime, DateTimeOffset issuedOn,
        long expiresAtTimestamp, string[] scopes, string clientId, Uri authority, TokenCacheKey key, bool fromCache, Clock clock)
    {
        _clock = clock;
        token.MakeReadOnly();
        SecureToken = token;
        TokenType = tokenType;
        Lifetime = lifetime;
        IssuedOn = issuedOn;
        ExpiresOn = issuedOn + lifetime;
        ExpiresAtTimestamp = expiresAtTimestamp;
        Scopes = scopes;
        ClientId = clientId;
        Authority = authority;
        Key = key;
        FromCache = fromCache;
    }

    private readonly Clock _clock;

    public string ClientId { get; }
    public string[] Scopes { get; }
    public string TokenType { get; }
    public DateTimeOffset IssuedOn { get; }
    public DateTimeOffset ExpiresOn { get; }
    public Uri Authority { get; }

    /// <summary>The API host this token is for: the API of the connection it was got for. Given as -Token,
    /// it is sent there and to no other host (-ApiBaseUri names another host of the same authority).</summary>
    public Uri? ApiBaseUri { get; private set; }

    /// <summary>How the connection it was got for reaches the API: a call given it as -Token goes the same way.</summary>
    internal ProxySettings? Proxy { get; private set; }

    /// <summary>True when this call was answered from the in-memory cache.</summary>
    public bool FromCache { get; }

    /// <summary>True when the token came from the shared token cache (-ShareToken): another process got
    /// it from the identity service, and this one read it from the vault. It stays true while the token
    /// is served from memory (FromCache).</summary>
    public bool FromSharedCache { get; internal init; }

    /// <summary>Time left before expiry, by the monotonic clock of the context that issued it.</summary>
    public TimeSpan ExpiresIn
    {
        get
        {
            var left = _clock.Until(ExpiresAtTimestamp);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    private ITwinTokenClaims? _claims;

    /// <summary>What the token says about itself (subject, client id, issuer, audience, scopes, times),
    /// decoded from its JWT payload; IsJwt is false for an opaque token. Never the token.</summary>
    public ITwinTokenClaims Claims => _claims ??= SecretText.Use(SecureToken, ITwinTokenClaims.Decode);

    /// <summary>The token, as a copy the caller may dispose without harming the cache.</summary>
    public SecureString Token => SecureToken.Copy();

    internal SecureString SecureToken { get; }
    internal TimeSpan Lifetime { get; }
    internal long ExpiresAtTimestamp { get; }
    internal TokenCacheKey Key { get; }

    internal ITwinAccessToken AsCacheHit() =>
        new(SecureToken, TokenType, Lifetime, IssuedOn, ExpiresAtTimestamp, Scopes, ClientId, Authority, Key, fromCache: true, _clock)
        {
            FromSharedCache = FromSharedCache,
        };

    /// <summary>This token as handed to the user for a connection: with the API host (and proxy) it is
    /// for. A copy, since one cached token serves every connection of the same app and authority
    /// (QA's and Dev's APIs share QA's identity service).</summary>
    internal ITwinAccessToken For(ServiceConnection connection) =>
        new(SecureToken, TokenType, Lifetime, IssuedOn, ExpiresAtTimestamp, Scopes, ClientId, Authority, Key, FromCache, _clock)
        {
            FromSharedCache = FromSharedCache,
            ApiBaseUri = connection.ApiBaseUri,
            Proxy = connection.Proxy,
        };

    public override string ToString() => $"{TokenType} token for {ClientId} (expires {ExpiresOn:u})";
}
