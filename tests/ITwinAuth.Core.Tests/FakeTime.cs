using System.Diagnostics;

namespace ITwinAuth.Core.Tests;

/// <summary>A clock that moves only when something waits on it: a test that meets a 60-second
/// Retry-After finishes at once, and says how long the module would have waited.</summary>
public sealed class FakeTime : IDisposable
{
    private readonly IDisposable _scope;
    private long _now = Stopwatch.GetTimestamp();
    private readonly List<TimeSpan> _waits = new();

    public FakeTime() => _scope = MonotonicClock.UseForTests(() => Interlocked.Read(ref _now), DelayAsync);

    public IReadOnlyList<TimeSpan> Waits { get { lock (_waits) return _waits.ToList(); } }

    public void Advance(TimeSpan span) => Interlocked.Add(ref _now, (long)(span.TotalSeconds * Stopwatch.Frequency));

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_waits) _waits.Add(delay);
        Advance(delay);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _scope.Dispose();
        RateLimitGate.Reset(); // a pause measured on this clock means nothing on the real one
    }
}
