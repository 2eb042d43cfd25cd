using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Security;
using System.Text;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>
/// A shared token as a store keeps it, and the rules for trusting one.
/// <para>The name: <c>ITwinAuthToken-</c> and 32 hex digits of an HMAC-SHA256, keyed by the client
/// secret, of the authority, the client id and the scopes. Every process with the same app, scopes
/// and secret finds the same name; a rotated secret, another app or another scope set finds another;
/// and the name tells nothing to someone who can list the store but not read the secret.</para>
/// <para>The value: a SecureString holding one small JSON object (version, the name it was written
/// under, the expiry, the lifetime, the granted scopes and the token). Where the store keeps metadata,
/// the client id and the expiry are written there too, for people; they are never read back.</para>
/// <para>An entry is used only if every check passes: the text is this format and this version,
/// written under this name, the token is one an HTTP header can carry, the lifetime is possible, the
/// expiry (the JWT's own when it says an earlier one) leaves more than the refresh margin, and a JWT
/// names this client id. Anything else is replaced, never an error.</para>
/// </summary>
public static class SharedTokenEntry
{
    public const string NamePrefix = "ITwinAuthToken-";
    private const int Version = 1;

    /// <summary>The room an entry takes around its token. An entry lives in a SecureString (65,536 characters
    /// at most), so a token longer than that less this cannot be shared (<see cref="Fits"/>); and no entry a
    /// store returns can be longer than a SecureString.</summary>
    private const int EntryOverhead = 1024;

    /// <summary>The entry's name for this app, these scopes and this secret.</summary>
    public static string NameFor(TokenCacheKey key, SecureString secret)
    {
        var hash = SecretText.KeyedHash(secret, $"ITwinAuth shared token {Version}\n{key.Authority}\n{key.ClientId}\n{key.Scopes}");
        var name = new StringBuilder(NamePrefix, NamePrefix.Length + 32);
        for (var i = 0; i < 16; i++) name.Append(hash[i].ToString("x2", CultureInfo.InvariantCulture));
        return name.ToString();
    }

    /// <summary>Whether <paramref name="token"/>'s entry fits in a SecureString (65,536 characters): a token the
    /// authority may issue can be too long to share, and is then kept in memory only.</summary>
    public static bool Fits(ITwinAccessToken token) => token.SecureToken.Length + EntryOverhead <= TokenClient.MaximumTokenLength;

    /// <summary>The value to store for <paramref name="token"/> under <paramref name="name"/> (one that <see cref="Fits"/>).</summary>
    public static SecureString Encode(ITwinAccessToken token, string name) =>
        SecretText.Use(token.SecureToken, text =>
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("v", Version);
                json.WriteString("name", name);
                json.WriteString("expiresOn", token.ExpiresOn.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                json.WriteNumber("lifetime", (long)token.Lifetime.TotalSeconds);
                json.WriteString("scope", string.Join(" ", token.Scopes));
                json.WriteString("token", text);
                json.WriteEndObject();
            }
            var bytes = buffer.GetBuffer();
            var chars = Encoding.UTF8.GetString(bytes, 0, (int)buffer.Length);
            Array.Clear(bytes, 0, (int)buffer.Length);
            return SecretText.ToSecureString(chars);
        });

    /// <summary>What people see beside the value, where the store keeps metadata. Not secret, never read back.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(ITwinAccessToken token) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ITwinAuth"] = "shared access token",
        ["ClientId"] = token.ClientId,
        ["ExpiresOn"] = token.ExpiresOn.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>The token in <paramref name="entry"/> if it can be used for <paramref name="key"/> under
    /// <paramref name="name"/> with more than the refresh margin left; otherwise null and why not (never a value).</summary>
    public static ITwinAccessToken? Read(StoredEntry entry, string name, TokenCacheKey key, Uri authority, TimeSpan? margin,
        Clock clock, out string reason)
    {
        if (entry.Text is not { } text)
        {
            reason = $"it is {entry.Other}, not a shared token";
            return null;
        }
        string? why = null;
        var token = SecretText.Use(text, value => Parse(value, name, key, authority, margin, clock, out why));
        reason = why ?? string.Empty;
        return token;
    }

    private static ITwinAccessToken? Parse(string value, string name, TokenCacheKey key, Uri authority, TimeSpan? margin, Clock clock, out string? reason)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        try
        {
            using var document = JsonRead.TryParse(bytes);
            return Parse(document, name, key, authority, margin, clock, out reason);
        }
        finally
        {
            Array.Clear(bytes, 0, bytes.Length);
        }
    }

    private static ITwinAccessToken? Parse(JsonDocument? document, string name, TokenCacheKey key, Uri authority, TimeSpan? margin, Clock clock, out string? reason)
    {
        if (document?.RootElement is not { ValueKind: JsonValueKind.Object } root)
            return Refuse("it is not a shared token (not a JSON object)", out reason);
        if (!(root.Property("v") is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var version) && version == Version))
            return Refuse($"it is not a version {Version} shared token", out reason);
        if (root.String("name") != name)
            return Refuse("it was written under another name (copied from another app, scope set or secret)", out reason);
        var token = root.String("token");
        if (token is null || token.Length == 0 || token.Length > TokenClient.MaximumTokenLength || !TokenClient.IsVisibleAscii(token))
            return Refuse("its token is missing or is not one an HTTP header can carry", out reason);
        if (!(root.Property("lifetime") is { ValueKind: JsonValueKind.Number } l && l.TryGetInt64(out var seconds) &&
              seconds >= 1 && seconds <= TokenClient.MaximumExpiresIn))
            return Refuse("its lifetime is missing or impossible", out reason);
        if (!DateTimeOffset.TryParseExact(root.String("expiresOn"), "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiresOn))
            return Refuse("its expiry is missing or not a date", out reason);
        var scope = root.String("scope");
        if (scope is null || !TokenClient.IsScopeList(scope) || TokenCacheKey.NormalizeScopes(new[] { scope }) is not { Length: > 0 } scopes)
            return Refuse("its scopes are missing or not a list of OAuth scope names", out reason);

        var claims = ITwinTokenClaims.Decode(token);
        if (claims.IsJwt && (claims.ClientIdNotText || (claims.ClientId is { } client && !string.Equals(client, key.ClientId, StringComparison.Ordinal))))
            return Refuse("its token was issued to another client id", out reason);
        // The token's own expiry wins when it is earlier than the entry says.
        if (claims.ExpiresAt is { } exp && exp < expiresOn) expiresOn = exp;

        var lifetime = TimeSpan.FromSeconds(seconds);
        if (Staleness(expiresOn, lifetime, margin, clock) is { } stale) return Refuse(stale, out reason);
        var usable = expiresOn - clock.UtcNow - TokenClient.ExpirySlack(lifetime);

        reason = null;
        return new ITwinAccessToken(SecretText.ToSecureString(token), "Bearer", lifetime, expiresOn - lifetime,
            clock.After(clock.Now, usable), scopes, key.ClientId, authority, key, fromCache: false, clock) { FromSharedCache = true };
    }

    /// <summary>Why a token expiring at <paramref name="expiresOn"/> with <paramref name="lifetime"/> cannot be
    /// used now, or null when it can: expired, further off than its lifetime (a clock far off, or an entry
    /// not written by this module), or within the refresh margin. The one freshness rule for an entry and
    /// for the lock's note of one.</summary>
    internal static string? Staleness(DateTimeOffset expiresOn, TimeSpan lifetime, TimeSpan? margin, Clock clock)
    {
        var left = expiresOn - clock.UtcNow;
        if (left <= TimeSpan.Zero) return $"it expired at {expiresOn:u}";
        if (left > lifetime + TimeSpan.FromMinutes(5)) return "it has more time left than its lifetime (a clock far off?)";
        if (left - TokenClient.ExpirySlack(lifetime) <= TokenCache.MarginFor(lifetime, margin)) return $"it expires at {expiresOn:u}, within the refresh margin";
        return null;
    }

    private static ITwinAccessToken? Refuse(string why, out string? reason)
    {
        reason = why;
        return null;
    }
}
