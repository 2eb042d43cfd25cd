using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
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
        if (version.Length < 2 || version.Length > 10 || !version.Skip(1).All(c => c is >= '0' and <= '9'))
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                $"ApiVersion '{apiVersion}' is not a version such as 'v1' or 'v2'.", "ApiVersion");
        return $"application/vnd.bentley.itwin-platform.{version}+json";
    }

    /// <summary>
    /// The absolute URI for -Path (relative to the API base) or -Uri, with -Query appended. A
    /// target on any other origin than the API base is refused: the token goes nowhere else. A path
    /// that is neither a relative path nor an http(s) URI is refused before anything is sent.
    /// </summary>
    public static Uri Resolve(Uri apiBaseUri, string? path, Uri? uri, IEnumerable<KeyValuePair<string, object?>>? query)
    {
        var text = (uri is not null ? (uri.IsAbsoluteUri ? uri.AbsoluteUri : uri.OriginalString) : path ?? string.Empty).Trim();
        var target = CredentialBoundary.ForApi(apiBaseUri).RequireTarget(Target(apiBaseUri, text));

        var pairs = query is null ? string.Empty : QueryString.Build(query);
        if (pairs.Length == 0) return target;
        var builder = new UriBuilder(target);
        var existing = builder.Query.TrimStart('?');
        builder.Query = (existing.Length > 0 ? existing + "&" : string.Empty) + pairs;
        return builder.Uri;
    }

    private static Uri Target(Uri apiBaseUri, string text)
    {
        if (text.IndexOf('\\') >= 0 || text.Any(char.IsControl))
            throw InvalidPath(text, "it holds a backslash or a control character");
        try
        {
            if (text.StartsWith("//", StringComparison.Ordinal))
            {
                // A network-path reference names another host (RFC 3986).
                var networkPath = new Uri(CredentialBoundary.AsBase(apiBaseUri), text);
                if (string.IsNullOrEmpty(networkPath.Host)) throw InvalidPath(text, "it names no host");
                return networkPath;
            }
            if (Uri.TryCreate(text, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
                return absolute;
            var pathPart = text.Split('?', '#')[0];
            var colon = pathPart.IndexOf(':');
            if (colon >= 0 && (pathPart.IndexOf('/') is var slash && (slash < 0 || colon < slash)))
                throw InvalidPath(text, "it is neither a path nor an http(s) URI");
            return new Uri(CredentialBoundary.AsBase(apiBaseUri), text.TrimStart('/'));
        }
        catch (UriFormatException ex)
        {
            throw InvalidPath(text, Sentence.Trim(ex.Message));
        }
    }

    private static ITwinAuthException InvalidPath(string text, string why) =>
        new(ITwinErrorIds.InvalidPath, ITwinErrorCategory.InvalidArgument,
            $"-Path '{Sentence.Excerpt(text, 200)}' is not usable: {why}. Give a path under the API such as '/itwins', or an https URI on the API host.",
            "Path");

    public static HttpCall NewCall(HttpMethod method, Uri target, ITokenSource tokens, string? apiVersion, string? prefer)
    {
        var call = new HttpCall(method, target, CredentialBoundary.ForApi(tokens.ApiBaseUri)) { Tokens = tokens };
        call.Headers["Accept"] = AcceptFor(apiVersion);
        if (prefer is not null) call.Headers["Prefer"] = "return=" + prefer.ToLowerInvariant();
        return call;
    }

    /// <summary>Sends the call; an error status becomes an exception unless <paramref name="allowErrorStatus"/>.</summary>
    public static async Task<HttpResult> SendAsync(ClientContext context, HttpCall call, bool allowErrorStatus, ILogSink log,
        CancellationToken cancellationToken, CallDeadline? deadline = null)
    {
        var result = await context.PipelineFor(call.Tokens?.Proxy).SendAsync(call, log, cancellationToken, deadline).ConfigureAwait(false);
        if (log.ShowsVerbose)
            log.Verbose($"{call.Describe()} -> {(int)result.StatusCode} {result.ReasonPhrase} ({result.Body.Length} bytes).");
        if (!result.IsSuccess && !allowErrorStatus) throw ApiErrors.FromResponse(result);
        return result;
    }

    /// <summary>-ContentType as a media type (parameters allowed), or <see cref="ITwinErrorIds.InvalidParameter"/>.</summary>
    public static MediaTypeHeaderValue ParseContentType(string contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null || parsed.MediaType.IndexOf('/') <= 0)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                $"ContentType '{Sentence.Excerpt(contentType, 100)}' is not a media type such as 'application/json'.", "ContentType");
        return parsed;
    }

    public static HttpContent JsonContent(string json, string? contentType)
    {
        var content = new StringContent(json, Encoding.UTF8);
        var type = ParseContentType(contentType ?? "application/json");
        if (type.CharSet is null) type.CharSet = "utf-8";
        content.Headers.ContentType = type;
        return content;
    }
}
