using System;
using System.Net;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// When to try again and how long to wait: 429, 503 (any method) and 502, 504 or a connection
/// failure (idempotent methods only), honouring Retry-After in both its forms, else exponential
/// back-off with jitter; bounded by a count here and by the call's deadline (<see cref="HttpCall.Deadline"/>).
/// </summary>
public sealed class RetryPolicy
{
    public const int DefaultMaximumRetryCount = 4;

    [ThreadStatic] private static Random? _random;

    public int MaximumRetryCount { get; init; } = DefaultMaximumRetryCount;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaximumDelay { get; init; } = TimeSpan.FromSeconds(30);

    public static RetryPolicy Default { get; } = new();

    /// <summary>For discovery and token requests, as the official client: 3 retries (within a 30 s deadline).</summary>
    public static RetryPolicy TokenRequests { get; } = new() { MaximumRetryCount = 3 };

    public static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Put ||
        method == HttpMethod.Delete || method == HttpMethod.Options;

    public static bool IsRetryableStatus(HttpStatusCode status, bool idempotent) => (int)status switch
    {
        429 or 503 => true,
        502 or 504 => idempotent,
        _ => false,
    };

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based).</summary>
    public TimeSpan DelayFor(int retry, RetryAfterHeader retryAfter, out bool fromServer)
    {
        if (retryAfter.Delay is { } asked)
        {
            fromServer = true;
            return asked;
        }
        fromServer = false;
        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, retry - 1);
        var capped = Math.Min(exponential, MaximumDelay.TotalMilliseconds);
        var jittered = capped / 2 + (_random ??= new Random(Guid.NewGuid().GetHashCode())).NextDouble() * capped / 2;
        return TimeSpan.FromMilliseconds(jittered);
    }
}
