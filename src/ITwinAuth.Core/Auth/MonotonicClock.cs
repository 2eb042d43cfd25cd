using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// The module's one source of time. Expiry decisions use Stopwatch time, so a change of the wall
/// clock cannot make an expired token look fresh; every wait (back-off, Retry-After, a rate-limit
/// pause) goes through <see cref="DelayAsync"/>. Tests replace both (<see cref="UseForTests"/>) so
/// that none of them sleeps to wait out time.
/// </summary>
internal static class MonotonicClock
{
    private static Func<long> _timestamp = Stopwatch.GetTimestamp;
    private static Func<TimeSpan, CancellationToken, Task> _delay = Task.Delay;

    public static long Now => _timestamp();

    public static long After(long start, TimeSpan span) => start + (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static TimeSpan Until(long timestamp) =>
        TimeSpan.FromSeconds((timestamp - _timestamp()) / (double)Stopwatch.Frequency);

    public static TimeSpan Since(long timestamp) =>
        TimeSpan.FromSeconds((_timestamp() - timestamp) / (double)Stopwatch.Frequency);

    public static Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => _delay(delay, cancellationToken);

    /// <summary>Replaces the clock and the delay until the returned scope is disposed (tests only).</summary>
    internal static IDisposable UseForTests(Func<long> timestamp, Func<TimeSpan, CancellationToken, Task> delay)
    {
        var saved = (_timestamp, _delay);
        _timestamp = timestamp;
        _delay = delay;
        return new Restore(() => (_timestamp, _delay) = saved);
    }

    private sealed class Restore : IDisposable
    {
        private Action? _undo;
        public Restore(Action undo) => _undo = undo;
        public void Dispose() => Interlocked.Exchange(ref _undo, null)?.Invoke();
    }
}
