using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.TestTime;

/// <summary>A clock that moves only when something waits on it: a test that meets a 60-second
/// Retry-After finishes at once, and says how long the module would have waited. A test gives it to
/// a context of its own (xUnit: new ClientContext(time); Pester: New-FakeTime puts such a context
/// in the module's session until it is disposed).</summary>
public sealed class FakeTime : Clock, IDisposable
{
    private long _now = Stopwatch.GetTimestamp();
    private readonly long _start;
    private readonly List<TimeSpan> _waits = new();
    private Action? _whenDisposed;

    public FakeTime() => _start = _now;

    public override long Now => Interlocked.Read(ref _now);

    /// <summary>The real wall clock plus every wait this clock has passed: a date a server sends
    /// (Retry-After) is measured against it as against a real clock that had waited.</summary>
    public override DateTimeOffset UtcNow => DateTimeOffset.UtcNow + Since(_start);

    /// <summary>Every wait the module asked for, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits { get { lock (_waits) return _waits.ToList(); } }

    /// <summary>The waits added up: how long the module would have waited on a real clock.</summary>
    public TimeSpan Waited => new(Waits.Sum(wait => wait.Ticks));

    public void Advance(TimeSpan span) => Interlocked.Add(ref _now, (long)(span.TotalSeconds * Stopwatch.Frequency));

    public override Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_waits) _waits.Add(delay);
        Advance(delay);
        return Task.CompletedTask;
    }

    /// <summary>Runs <paramref name="action"/> when this clock is disposed (Pester: put the module's own context back).</summary>
    public void WhenDisposed(Action action) => _whenDisposed += action;

    public void Dispose() => Interlocked.Exchange(ref _whenDisposed, null)?.Invoke();
}
