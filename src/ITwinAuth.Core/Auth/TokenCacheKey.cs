using System;
using System.Linq;

namespace ITwinAuth.Core;

/// <summary>
/// What a cached token belongs to: authority, client id, the set of scopes (order-insensitive) and
/// a keyed fingerprint of the secret, so a rotated secret never reuses the old token. The
/// fingerprint is an HMAC under a key of the cache's own, made fresh for each cache: it cannot be
/// reversed or compared across caches. Made by <see cref="TokenCache.KeyFor"/>.
/// </summary>
public sealed class TokenCacheKey : IEquatable<TokenCacheKey>
{
    internal TokenCacheKey(string authority, string clientId, string scopes, string secretFingerprint)
    {
        Authority = authority;
        ClientId = clientId;
        Scopes = scopes;
        SecretFingerprint = secretFingerprint;
    }

    public string Authority { get; }
    public string ClientId { get; }
    public string Scopes { get; }
    internal string SecretFingerprint { get; }

    /// <summary>The authority as keys hold it: no trailing slash, lower case.</summary>
    public static string NormalizeAuthority(Uri authority) => authority.GetLeftPart(UriPartial.Path).TrimEnd('/').ToLowerInvariant();

    /// <summary>Whether this key belongs to the app <paramref name="clientId"/> at <paramref name="authority"/>, whatever its scopes or secret.</summary>
    public bool BelongsTo(Uri authority, string clientId) => ClientId == clientId && Authority == NormalizeAuthority(authority);

    /// <summary>Scopes as a set: trimmed, de-duplicated, sorted ordinally.</summary>
    public static string[] NormalizeScopes(string[] scopes) =>
        scopes.SelectMany(s => (s ?? string.Empty).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToArray();

    public bool Equals(TokenCacheKey? other) =>
        other is not null &&
        string.Equals(Authority, other.Authority, StringComparison.Ordinal) &&
        string.Equals(ClientId, other.ClientId, StringComparison.Ordinal) &&
        string.Equals(Scopes, other.Scopes, StringComparison.Ordinal) &&
        string.Equals(SecretFingerprint, other.SecretFingerprint, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as TokenCacheKey);

    public override int GetHashCode()
    {
        unchecked
        {
            var hash = StringComparer.Ordinal.GetHashCode(Authority);
            hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(ClientId);
            hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(Scopes);
            return (hash * 397) ^ StringComparer.Ordinal.GetHashCode(SecretFingerprint);
        }
    }

    public override string ToString() => $"{ClientId} @ {Authority} [{Scopes}]";
}
