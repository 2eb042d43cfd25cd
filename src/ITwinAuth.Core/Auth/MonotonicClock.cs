using System;
using System.Diagnostics;

namespace ITwinAuth.Core;

/// <summary>Expiry decisions use Stopwatch time, so a change of the wall clock cannot make an
/// expired token look fresh.</summary>
internal static class MonotonicClock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static long After(long start, TimeSpan span) => start + (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static TimeSpan Until(long timestamp) =>
        TimeSpan.FromSeconds((timestamp - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);

    public static TimeSpan Since(long timestamp) =>
        TimeSpan.FromSeconds((Stopwatch.GetTimestamp() - timestamp) / (double)Stopwatch.Frequency);
}
