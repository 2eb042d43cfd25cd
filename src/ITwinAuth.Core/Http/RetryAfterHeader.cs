using System;
using System.Globalization;

namespace ITwinAuth.Core;

/// <summary>
/// Retry-After as the server wrote it: delay-seconds or an HTTP date (RFC 9110). A value that is
/// neither is unusable and said so, never silently ignored.
/// </summary>
public readonly struct RetryAfterHeader
{
    private RetryAfterHeader(string? raw, TimeSpan? delay)
    {
        Raw = raw;
        Delay = delay;
    }

    public string? Raw { get; }

    /// <summary>The wait asked for, or null when the header is absent or unusable.</summary>
    public TimeSpan? Delay { get; }

    public bool IsPresent => Raw is not null;
    public bool IsUsable => Delay is not null;

    /// <summary>The longest wait a header can ask for; more is taken as this (a deadline stops it sooner).</summary>
    private static readonly TimeSpan Longest = TimeSpan.FromDays(1);

    /// <summary>The response's Retry-After, a date measured against <paramref name="clock"/>.</summary>
    public static RetryAfterHeader From(System.Net.Http.HttpResponseMessage response, Clock clock) =>
        Parse(response.Headers.TryGetValues("Retry-After", out var values) ? System.Linq.Enumerable.FirstOrDefault(values) : null, clock.UtcNow);

    public static RetryAfterHeader Parse(string? raw, DateTimeOffset now)
    {
        if (raw is null) return default;
        var text = raw.Trim();
        if (text.Length > 0 && text.Length <= 19 && IsAsciiDigits(text))
        {
            var seconds = decimal.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
            return new RetryAfterHeader(raw, seconds >= (decimal)Longest.TotalSeconds ? Longest : TimeSpan.FromSeconds((double)seconds));
        }
        if (DateTimeOffset.TryParseExact(text, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - now;
            return new RetryAfterHeader(raw, wait < TimeSpan.Zero ? TimeSpan.Zero : wait > Longest ? Longest : wait);
        }
        return new RetryAfterHeader(raw, null);
    }

    private static bool IsAsciiDigits(string text)
    {
        foreach (var c in text)
            if (c is < '0' or > '9') return false;
        return true;
    }
}
