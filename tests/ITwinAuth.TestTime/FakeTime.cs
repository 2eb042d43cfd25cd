using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.TestTime;

/// <summary>A clock that moves only when something waits on it: a test that meets a 60-second
/// Retry-After finishes at once, and says how long the module would have waited. It replaces the
/// module's one source of time (MonotonicClock) for the whole process until disposed.</summary>
public sealed class FakeTime : IDisposable
{
    private readonly IDisposable _scope;
    private long _now = Stopwatch.GetTimestamp();
    private readonly List<TimeSpan> _waits = new();

    public FakeTime() => _scope = MonotonicClock.UseForTests(() => Interlocked.Read(ref _now), DelayAsync);

    /// <summary>Every wait the module asked for, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits { get { lock (_waits) return _waits.ToList(); } }

    /// <summary>The waits added up: how long the module would have waited on a real clock.</summary>
    public TimeSpan Waited => new(Waits.Sum(wait => wait.Ticks));

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
        // A pause or an expiry measured on this clock means nothing on the real one.
        RateLimitGate.Reset();
        TokenCache.Shared.Clear();
    }
}
