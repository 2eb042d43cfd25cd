using System;
using System.Collections.Generic;
using System.Net;

namespace ITwinAuth;

/// <summary>One entry of an iTwin error's "details" array.</summary>
public sealed record ITwinErrorDetail(string? Code, string? Message, string? Target);

/// <summary>
/// An error response from an iTwin API or from the token endpoint: the HTTP status, the iTwin error
/// code (or OAuth error), its details and the request id the platform gave.
/// </summary>
public sealed class ITwinApiException : ITwinAuthException
{
    public ITwinApiException(string errorId, ITwinErrorCategory category, string message, string? target,
        HttpStatusCode statusCode, string? errorCode, IReadOnlyList<ITwinErrorDetail> details, string? requestId,
        TimeSpan? retryAfter = null)
        : base(errorId, category, message, target)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        Details = details;
        RequestId = requestId;
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
