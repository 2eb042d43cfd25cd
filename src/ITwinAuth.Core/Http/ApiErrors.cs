using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>Turns an iTwin error response into an <see cref="ITwinApiException"/>:
/// {"error": {"code", "message", "target", "details": [...]}}, or a clear word on a body that is not that.</summary>
public static class ApiErrors
{
    private static readonly string[] RequestIdHeaders = { "X-Correlation-Id", "Request-Id", "X-Request-Id", "X-Ms-Request-Id" };

    public static ITwinErrorCategory CategoryFor(HttpStatusCode status) => (int)status switch
    {
        400 or 422 => ITwinErrorCategory.InvalidArgument,
        401 => ITwinErrorCategory.AuthenticationError,
        403 => ITwinErrorCategory.PermissionDenied,
        404 => ITwinErrorCategory.ObjectNotFound,
        409 => ITwinErrorCategory.ResourceExists,
        413 => ITwinErrorCategory.LimitsExceeded,
        429 => ITwinErrorCategory.LimitsExceeded,
        408 or 504 => ITwinErrorCategory.OperationTimeout,
        502 or 503 => ITwinErrorCategory.ResourceUnavailable,
        >= 500 => ITwinErrorCategory.ConnectionError,
        _ => ITwinErrorCategory.InvalidResult,
    };

    public static string? RequestIdOf(HttpResult result) =>
        RequestIdHeaders.Select(result.Header).FirstOrDefault(id => !string.IsNullOrEmpty(id)) is { } id ? ServerText.Line(id, 100) : null;

    public static ITwinApiException FromResponse(HttpResult result)
    {
        using var document = JsonRead.TryParse(result.Body);
        // Most errors are wrapped in "error"; some (a gateway's 401) are not: {"statusCode": 401, "message": "Invalid JWT."}.
        var error = document?.RootElement.Property("error") is { ValueKind: JsonValueKind.Object } wrapped ? wrapped : document?.RootElement;
        // Every part of a server's error is cut and made safe here (ServerText): the code, the message, each detail.
        var code = Code(error?.String("code"));
        var message = error?.String("message");
        var details = new List<ITwinErrorDetail>();
        if (error?.Property("details") is { ValueKind: JsonValueKind.Array } array)
            foreach (var item in array.EnumerateArray().Take(MaximumDetails))
                details.Add(new ITwinErrorDetail(Code(item.String("code")), Cut(item.String("message")), Cut(item.String("target"))));

        var status = (int)result.StatusCode;
        var errorId = IsIdentifier(code) ? code! : status == 429 ? ITwinErrorIds.RateLimitExceeded : ITwinErrorIds.HttpError;
        string text;
        if (message is not null)
            text = $"{result.Target} failed with {status}{(code is null ? string.Empty : " " + code)}: {Sentence.End(Sentence.Excerpt(message))}";
        else if (document is null && result.Body.Length > 0)
            text = $"{result.Target} failed with {status} {result.ReasonPhrase}; the body was {Describe(result)}, not an iTwin error.";
        else
            text = $"{result.Target} failed with {status} {result.ReasonPhrase}.";
        var retryAfter = result.RetryAfter;
        if (status == 429 && retryAfter is { } wait)
            text += $" The service asks to retry after {wait.TotalSeconds:0} s.";
        text += Remedy(status);
        if (result.CorrelationId is { } correlation)
            text += $" (X-Correlation-Id {correlation})";

        return new ITwinApiException(errorId, CategoryFor(result.StatusCode), text, result.Target, result.StatusCode, code,
            details, RequestIdOf(result), retryAfter)
        {
            CorrelationId = result.CorrelationId,
            ResponseBody = document is not null ? BodyExcerpt(result) : null,
        };
    }

    /// <summary>What to do next, for the statuses where it is clear.</summary>
    private static string Remedy(int status) => status switch
    {
        404 => " Check -Path and -ApiVersion (some APIs answer only to v2).",
        401 => " The API refused the token: check that the app has the scope the API needs and that -ApiBaseUri and -Authority are of the same environment.",
        403 => " Give the service app's identity ({client id}@apps.imsoidc.bentley.com) a role on the iTwin, or the app the scope.",
        _ => string.Empty,
    };

    /// <summary>At most 16 KiB of a body for an error record: enough to read, never a server's whole flood.</summary>
    public static string BodyExcerpt(HttpResult result)
    {
        const int Maximum = 16 * 1024;
        return result.Body.Length <= Maximum
            ? Encoding.UTF8.GetString(result.Body)
            : Encoding.UTF8.GetString(result.Body, 0, Maximum) + $"... ({result.Body.Length - Maximum} more bytes)";
    }

    private static string Describe(HttpResult result) =>
        result.ContentType is { } type && type.IndexOf("html", StringComparison.OrdinalIgnoreCase) >= 0
            ? "an HTML page (a gateway's error page?)"
            : $"{result.Body.Length} bytes of {result.ContentType ?? "unknown content"}";

    private const int MaximumDetails = 20;

    private static string? Cut(string? text) => text is null ? null : ServerText.Line(text);

    private static string? Code(string? text) => text is null ? null : ServerText.Line(text, 100);

    private static bool IsIdentifier(string? code) =>
        !string.IsNullOrEmpty(code) && code!.Length <= 100 && code.All(c => char.IsLetterOrDigit(c) || c == '_' || c == '.');

    /// <summary>A success body that should be JSON but is not (truncated, or HTML from a gateway).</summary>
    public static ITwinAuthException NotJson(HttpResult result) =>
        new(ITwinErrorIds.ResponseNotJson, ITwinErrorCategory.InvalidResult,
            $"{result.Target} answered {(int)result.StatusCode} but its body is not valid JSON ({Describe(result)}); " +
            "the response may have been cut short or replaced by a gateway. Use -Raw to see it.", result.Target);
}
