using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Builds and sends iTwin API calls: URI resolution under the API base, version and
/// Prefer headers, and error responses turned into <see cref="ITwinApiException"/>.</summary>
public static class ApiClient
{
    public const string DefaultApiVersion = "v1";

    public static string AcceptFor(string? apiVersion)
    {
        var version = string.IsNullOrWhiteSpace(apiVersion) ? DefaultApiVersion : apiVersion!.Trim().ToLowerInvariant();
        if (!version.StartsWith("v", StringComparison.Ordinal)) version = "v" + version;
        if (version.Length < 2 || !version.Skip(1).All(char.IsDigit))
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                $"ApiVersion '{apiVersion}' is not a version such as 'v1' or 'v2'.", "ApiVersion");
        return $"application/vnd.bentley.itwin-platform.{version}+json";
    }

    /// <summary>
    /// The absolute URI for -Path (relative to the API base) or -Uri, with -Query appended. A
    /// target on any other origin than the API base is refused: the token goes nowhere else.
    /// </summary>
    public static Uri Resolve(Uri apiBaseUri, string? path, Uri? uri, IEnumerable<KeyValuePair<string, string?>>? query)
    {
        var text = (uri is not null ? (uri.IsAbsoluteUri ? uri.AbsoluteUri : uri.OriginalString) : path ?? string.Empty).Trim();
        Uri target;
        if (text.StartsWith("//", StringComparison.Ordinal))
            target = new Uri(EndpointPolicy.AsBase(apiBaseUri), text); // a network-path reference names another host (RFC 3986)
        else if (Uri.TryCreate(text, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
            target = absolute;
        else
            target = new Uri(EndpointPolicy.AsBase(apiBaseUri), text.TrimStart('/'));

        if (!EndpointPolicy.SameOrigin(target, apiBaseUri))
            throw new ITwinAuthException(ITwinErrorIds.ForeignHostRefused, ITwinErrorCategory.SecurityError,
                $"{target.GetLeftPart(UriPartial.Authority)} is not the connection's API host ({apiBaseUri.GetLeftPart(UriPartial.Authority)}); " +
                "ITwinAuth sends the token only there. Use -Path, or sign in with -ApiBaseUri for that host.",
                target.GetLeftPart(UriPartial.Path));

        if (query is null) return target;
        var pairs = query.Where(p => p.Value is not null)
            .Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value!)).ToArray();
        if (pairs.Length == 0) return target;
        var builder = new UriBuilder(target);
        var existing = builder.Query.TrimStart('?');
        builder.Query = (existing.Length > 0 ? existing + "&" : string.Empty) + string.Join("&", pairs);
        return builder.Uri;
    }

    public static HttpCall NewCall(HttpMethod method, Uri target, ITokenSource tokens, string? apiVersion, string? prefer)
    {
        var call = new HttpCall(method, target) { Tokens = tokens };
        call.Headers["Accept"] = AcceptFor(apiVersion);
        if (prefer is not null) call.Headers["Prefer"] = "return=" + prefer.ToLowerInvariant();
        return call;
    }

    /// <summary>Sends the call; an error status becomes an exception unless <paramref name="allowErrorStatus"/>.</summary>
    public static async Task<HttpResult> SendAsync(HttpCall call, bool allowErrorStatus, ILogSink log, CancellationToken cancellationToken)
    {
        var result = await HttpPipeline.SendAsync(call, log, cancellationToken).ConfigureAwait(false);
        log.Verbose($"{call.Describe()} -> {(int)result.StatusCode} {result.ReasonPhrase} ({result.Body.Length} bytes).");
        if (!result.IsSuccess && !allowErrorStatus) throw ApiErrors.FromResponse(result);
        return result;
    }

    public static ITwinUser ParseUser(HttpResult result)
    {
        using var document = JsonRead.TryParse(result.Body);
        if (document?.RootElement.Property("user") is not { ValueKind: System.Text.Json.JsonValueKind.Object } user)
            throw document is null
                ? ApiErrors.NotJson(result)
                : new ITwinAuthException(ITwinErrorIds.ResponseNotJson, ITwinErrorCategory.InvalidResult,
                    $"{result.Target} answered without a 'user' object.", result.Target);
        return new ITwinUser
        {
            Id = user.Guid("id"),
            DisplayName = user.String("displayName"),
            GivenName = user.String("givenName"),
            Surname = user.String("surname"),
            Email = user.String("email"),
            AlternateEmail = user.String("alternateEmail"),
            Phone = user.String("phone"),
            OrganizationName = user.String("organizationName"),
            City = user.String("city"),
            Country = user.String("country"),
            Language = user.String("language"),
            CreatedDateTime = user.Date("createdDateTime"),
        };
    }

    public static HttpContent JsonContent(string json, string? contentType) =>
        new StringContent(json, Encoding.UTF8, contentType ?? "application/json");
}
