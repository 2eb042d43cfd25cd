using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>One entry of an iTwin error's "details" array.</summary>
public sealed record ITwinErrorDetail(string? Code, string? Message, string? Target);

/// <summary>
/// An error response from an iTwin API or from the token endpoint: the HTTP status, the iTwin error
/// code (or OAuth error), its details and the request id the platform gave, each cut and made safe
/// (<see cref="ServerText"/>) however the server wrote it.
/// </summary>
public sealed class ITwinApiException : ITwinAuthException
{
    public ITwinApiException(string errorId, ITwinErrorCategory category, string message, string? target,
        HttpStatusCode statusCode, string? errorCode, IReadOnlyList<ITwinErrorDetail> details, string? requestId,
        TimeSpan? retryAfter = null)
        : base(errorId, category, message, target)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode is null ? null : ServerText.Line(errorCode, 100);
        Details = details.Take(20).Select(d => new ITwinErrorDetail(
            d.Code is null ? null : ServerText.Line(d.Code, 100), d.Message is null ? null : ServerText.Line(d.Message),
            d.Target is null ? null : ServerText.Line(d.Target))).ToArray();
        RequestId = requestId is null ? null : ServerText.Line(requestId, 100);
        RetryAfter = retryAfter;
    }

    public HttpStatusCode StatusCode { get; }
    public string? ErrorCode { get; }
    public IReadOnlyList<ITwinErrorDetail> Details { get; }
    public string? RequestId { get; }
    public TimeSpan? RetryAfter { get; }

    /// <summary>The X-Correlation-Id ITwinAuth sent with the request: quote it to Bentley's support.</summary>
    public string? CorrelationId { get; init; }
}
