using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>The OAuth 2.0 client-credentials request: one form post to the token endpoint.</summary>
public static class TokenClient
{
    /// <summary>Scopes a service application may not ask for; the official client refuses them too.</summary>
    public static readonly IReadOnlyList<string> RefusedScopes = Array.AsReadOnly(new[] { "openid", "email", "profile", "organization" });

    public static string[] ValidateScopes(string[]? scopes)
    {
        var normalized = TokenCacheKey.NormalizeScopes(scopes is { Length: > 0 } ? scopes : new[] { ITwinEndpoints.DefaultScope });
        if (normalized.Length == 0)
            throw new ITwinAuthException(ITwinErrorIds.ScopeNotAllowed, ITwinErrorCategory.InvalidArgument,
                "No scope was given. Use 'itwin-platform' (the default) or the scopes your app was registered with.", "Scope");
        var refused = normalized.Where(s => RefusedScopes.Contains(s, StringComparer.OrdinalIgnoreCase)).ToArray();
        if (refused.Length > 0)
            throw new ITwinAuthException(ITwinErrorIds.ScopeNotAllowed, ITwinErrorCategory.InvalidArgument,
                $"A service application cannot request the scope(s) '{string.Join(" ", refused)}': they need a signed-in user. " +
                "Use 'itwin-platform' or your app's API scopes.", string.Join(" ", refused));
        return normalized;
    }

    public static async Task<ITwinAccessToken> RequestAsync(ClientContext context, Uri authority, ServiceCredential credential, string[] scopes,
        TokenCacheKey key, ILogSink log, CancellationToken cancellationToken, ProxySettings? proxy = null)
    {
        var pipeline = context.PipelineFor(proxy);
        var endpoint = await context.Discovery.GetTokenEndpointAsync(authority, log, cancellationToken, pipeline).ConfigureAwait(false);
        var scope = string.Join(" ", scopes);
        log.Verbose($"POST {endpoint} grant_type=client_credentials client_id={credential.ClientId} scope='{scope}' client_secret=***");

        var call = IdentityRequests.NewCall(HttpMethod.Post, endpoint, authority);
        call.Idempotent = true;
        // The secret is readable only while this form is encoded, once per attempt.
        call.Content = () => SecretText.Use(credential.Secret, secret => new FormUrlEncodedContent(new[]
        {
            new KeyValuePair<string, string>("grant_type", "client_credentials"),
            new KeyValuePair<string, string>("client_id", credential.ClientId),
            new KeyValuePair<string, string>("client_secret", secret),
            new KeyValuePair<string, string>("scope", scope),
        }));

        var clock = context.Clock;
        var started = clock.Now;
        var issuedOn = clock.UtcNow;
        var result = await IdentityRequests.SendAsync(pipeline, call, $"The token endpoint {endpoint}", log, cancellationToken).ConfigureAwait(false);

        if (!result.IsSuccess) throw ErrorFrom(result, credential.ClientId, scope);
        var token = ParseResponse(result, credential.ClientId, scopes, authority, key, started, issuedOn, clock);
        log.Verbose($"Token issued for {credential.ClientId}; it expires {token.ExpiresOn:u} (in {TokenCache.Describe(token.Lifetime)}).");
        return token;
    }

    internal static ITwinAccessToken ParseResponse(HttpResult result, string clientId, string[] requestedScopes, Uri authority,
        TokenCacheKey key, long started, DateTimeOffset issuedOn, Clock clock)
    {
        using var document = JsonRead.TryParse(result.Body);
        var root = document?.RootElement;
        var accessToken = root?.String("access_token");
        if (root is null || string.IsNullOrWhiteSpace(accessToken))
            throw Invalid(result, "without an access_token in a JSON body");
        if (accessToken!.Length > MaximumTokenLength)
            throw Invalid(result, $"with an access_token of {accessToken.Length} characters (at most {MaximumTokenLength} can be held)");
        if (!IsVisibleAscii(accessToken))
            throw Invalid(result, "with an access_token that holds spaces, control or non-ASCII characters, which no HTTP header can carry");

        var lifetime = TimeSpan.FromSeconds(ExpiresIn(root.Value, result));
        var grantedScopes = requestedScopes;
        if (root.Value.Property("scope") is { } scopeElement)
        {
            // RFC 6749 scope tokens are visible ASCII without '"' or '\\'; a scope list is shown to the user, so
            // anything else (control characters, an object, a flood) is refused rather than displayed.
            if (scopeElement.ValueKind != System.Text.Json.JsonValueKind.String || scopeElement.GetString() is not { } granted || !IsScopeList(granted))
                throw Invalid(result, $"with a scope that is not a list of OAuth scope names ({Sentence.Excerpt(scopeElement.GetRawText(), 40)})");
            if (TokenCacheKey.NormalizeScopes(new[] { granted }) is { Length: > 0 } normalized) grantedScopes = normalized;
        }
        // The platform issues Bearer tokens (RFC 6750), and the module only knows how to send those: any other
        // type (MAC, a scheme with parameters) is a broken or foreign server, not a token to send.
        if (root.Value.Property("token_type") is { } typeElement &&
            !(typeElement.ValueKind == System.Text.Json.JsonValueKind.String &&
              string.Equals(typeElement.GetString(), "Bearer", StringComparison.OrdinalIgnoreCase)))
            throw Invalid(result, $"with a token_type of {Sentence.Excerpt(typeElement.GetRawText(), 40)}; the iTwin Platform issues Bearer tokens only");
        const string tokenType = "Bearer";

        return new ITwinAccessToken(SecretText.ToSecureString(accessToken), tokenType, lifetime, issuedOn,
            clock.After(started, lifetime - ExpirySlack(lifetime)), grantedScopes, clientId, authority, key, fromCache: false, clock);
    }

    /// <summary>A SecureString holds at most 65,536 characters.</summary>
    internal const int MaximumTokenLength = 65536;

    /// <summary>The longest lifetime taken from expires_in: a year. More is a broken server, not a token.</summary>
    internal const long MaximumExpiresIn = 366L * 24 * 3600;

    /// <summary>expires_in in seconds: absent means an hour (RFC 6749 leaves it optional); present, it
    /// must be a whole number of seconds from 1 to a year, as a number or a numeric string.</summary>
    private static long ExpiresIn(System.Text.Json.JsonElement root, HttpResult result)
    {
        if (root.Property("expires_in") is not { } value) return 3600;
        double seconds;
        if (value.ValueKind == System.Text.Json.JsonValueKind.Number && value.TryGetDouble(out var number))
            seconds = number;
        else if (value.ValueKind == System.Text.Json.JsonValueKind.String &&
                 double.TryParse(value.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            seconds = parsed;
        else
            throw Invalid(result, $"with an expires_in that is not a number ({Sentence.Excerpt(value.GetRawText(), 40)})");
        if (double.IsNaN(seconds) || double.IsInfinity(seconds))
            throw Invalid(result, $"with an expires_in that is not a finite number ({Sentence.Excerpt(value.GetRawText(), 40)})");
        if (seconds < 1)
            throw Invalid(result, $"with an expires_in of {Sentence.Excerpt(value.GetRawText(), 40)}, so the token is already expired");
        if (seconds > MaximumExpiresIn)
            throw Invalid(result, $"with an expires_in of {Sentence.Excerpt(value.GetRawText(), 40)} seconds, beyond any token's lifetime (at most a year)");
        return (long)Math.Floor(seconds);
    }

    /// <summary>RFC 6749 scope tokens, space-separated: visible ASCII without '"' or '\\', at most 4,096 characters.
    /// A scope list is shown to the user, so anything else (control characters, a flood) is refused.</summary>
    internal static bool IsScopeList(string scopes) =>
        scopes.Length <= 4096 && scopes.Split(' ').All(s => s.Length == 0 || (IsVisibleAscii(s) && s.IndexOf('"') < 0 && s.IndexOf('\\') < 0));

    internal static bool IsVisibleAscii(string text)
    {
        foreach (var c in text)
            if (c is < '!' or > '~') return false;
        return true;
    }

    private static ITwinAuthException Invalid(HttpResult result, string what) =>
        new(ITwinErrorIds.TokenResponseInvalid, ITwinErrorCategory.InvalidResult,
            $"The token endpoint answered {(int)result.StatusCode} {what}. The identity service at {CredentialBoundary.OriginOf(result.Uri)} " +
            "did not answer as an OAuth 2.0 server: check -Authority.", result.Target);

    /// <summary>
    /// A JWT's exp is in whole seconds while expires_in is rounded, so a token can die up to a second
    /// before "request start + expires_in": expiry decisions keep that second (at most half the lifetime).
    /// </summary>
    internal static TimeSpan ExpirySlack(TimeSpan lifetime) =>
        lifetime.Ticks / 2 < TimeSpan.TicksPerSecond ? TimeSpan.FromTicks(lifetime.Ticks / 2) : TimeSpan.FromSeconds(1);

    internal static ITwinApiException ErrorFrom(HttpResult result, string clientId, string scope)
    {
        using var document = JsonRead.TryParse(result.Body);
        var error = document?.RootElement.String("error");
        var description = document?.RootElement.String("error_description");
        var said = description is null ? string.Empty : $" The identity service said: {Sentence.End(description)}";
        var (errorId, category, message) = error switch
        {
            "invalid_client" => (ITwinErrorIds.InvalidClient, ITwinErrorCategory.AuthenticationError,
                $"The identity service refused the client id '{clientId}' or its secret (invalid_client). " +
                "Check both in 'My apps' on developer.bentley.com; a regenerated secret replaces the old one."),
            "invalid_scope" => (ITwinErrorIds.InvalidScope, ITwinErrorCategory.PermissionDenied,
                $"The app '{clientId}' may not request the scope '{scope}' (invalid_scope). " +
                "Request scopes the app was registered with, or add them to the app in 'My apps'."),
            "unsupported_grant_type" => (ITwinErrorIds.UnsupportedGrantType, ITwinErrorCategory.InvalidOperation,
                $"The identity service does not allow client credentials for '{clientId}' (unsupported_grant_type). " +
                "Register the app as a Service application."),
            "invalid_grant" => (ITwinErrorIds.InvalidGrant, ITwinErrorCategory.AuthenticationError,
                $"The identity service refused the grant for '{clientId}' (invalid_grant)."),
            "unauthorized_client" => (ITwinErrorIds.InvalidClient, ITwinErrorCategory.AuthenticationError,
                $"The app '{clientId}' is not allowed to use client credentials (unauthorized_client). Register it as a Service application."),
            "invalid_request" => (ITwinErrorIds.InvalidTokenRequest, ITwinErrorCategory.InvalidArgument,
                $"The identity service found the token request invalid (invalid_request)."),
            _ => (ITwinErrorIds.TokenRequestFailed, ApiErrors.CategoryFor(result.StatusCode),
                $"The token endpoint answered {(int)result.StatusCode} {result.ReasonPhrase}" +
                (document is null ? $" with a {result.ContentType ?? "non-JSON"} body." : ".")),
        };
        return new ITwinApiException(errorId, category, message + said, result.Target, result.StatusCode, error,
            Array.Empty<ITwinErrorDetail>(), ApiErrors.RequestIdOf(result), result.RetryAfter)
        {
            ResponseBody = document is null ? null : ApiErrors.BodyExcerpt(result),
        };
    }
}
