using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// A context's one source of time. Expiry decisions use a monotonic timestamp, so a change of the
/// wall clock cannot make an expired token look fresh; a Retry-After date is measured against
/// <see cref="UtcNow"/> of the same clock; every wait (back-off, Retry-After, a rate-limit pause)
/// goes through <see cref="DelayAsync"/>. A test gives its context a clock that moves only when the
/// module waits, so no test sleeps. Timeouts (<see cref="CallDeadline"/>) stay on real time.
/// </summary>
public abstract class Clock
{
    /// <summary>The machine's clock.</summary>
    public static Clock System { get; } = new SystemClock();

    /// <summary>A monotonic timestamp in <see cref="Stopwatch.Frequency"/> ticks.</summary>
    public abstract long Now { get; }

    /// <summary>The wall clock, for dates that servers send (Retry-After, token issue times).</summary>
    public abstract DateTimeOffset UtcNow { get; }

    public abstract Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken);

    public long After(long start, TimeSpan span) => start + (long)(span.TotalSeconds * Stopwatch.Frequency);

    public TimeSpan Until(long timestamp) => TimeSpan.FromSeconds((timestamp - Now) / (double)Stopwatch.Frequency);

    public TimeSpan Since(long timestamp) => TimeSpan.FromSeconds((Now - timestamp) / (double)Stopwatch.Frequency);

    private sealed class SystemClock : Clock
    {
        public override long Now => Stopwatch.GetTimestamp();
        public override DateTimeOffset UtcNow => DateTimeOffset.UtcNow;
        public override Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, cancellationToken);
    }
}
