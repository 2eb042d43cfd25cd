using System;

namespace ITwinAuth.Core;

/// <summary>
/// How many times a call is tried again and how long it waits between tries: Retry-After when the
/// server gives a usable one, else exponential back-off with jitter. What is retryable at all is
/// <see cref="ResponseClassifier"/>'s to say; the call's deadline bounds every wait.
/// </summary>
public sealed class RetryOptions
{
    public const int DefaultMaximumRetryCount = 4;

    public int MaximumRetryCount { get; init; } = DefaultMaximumRetryCount;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaximumDelay { get; init; } = TimeSpan.FromSeconds(30);

    public static RetryOptions Default { get; } = new();

    /// <summary>For discovery and token requests, as the official client: 3 retries (within a 30 s deadline).</summary>
    public static RetryOptions TokenRequests { get; } = new() { MaximumRetryCount = 3 };

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based); <paramref name="jitter"/> is in [0, 1).</summary>
    public TimeSpan DelayFor(int retry, RetryAfterHeader retryAfter, double jitter, out bool fromServer)
    {
        if (retryAfter.Delay is { } asked)
        {
            fromServer = true;
            return asked;
        }
        fromServer = false;
        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        var capped = Math.Min(exponential, MaximumDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + jitter * capped / 2);
    }
}
