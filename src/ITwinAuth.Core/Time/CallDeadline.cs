using System;
using System.Threading;

namespace ITwinAuth.Core;

/// <summary>
/// The overall time one call may take: every attempt, every wait and every body read; for a
/// listing, every page. It cancels on real time; <see cref="Left"/> reads the context's clock, so
/// a wait that would pass the deadline is refused before it starts, on a fake clock too.
/// </summary>
public sealed class CallDeadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _caller;
    private readonly Clock _clock;
    private readonly long _started;

    public CallDeadline(TimeSpan span, Clock clock, CancellationToken caller)
    {
        Span = span;
        _clock = clock;
        _caller = caller;
        _started = clock.Now;
        _source = CancellationTokenSource.CreateLinkedTokenSource(caller);
        _source.CancelAfter(span);
    }

    public TimeSpan Span { get; }

    /// <summary>Cancelled by the caller (Ctrl+C) or when the deadline passes.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>What is left of the span by the context's clock.</summary>
    public TimeSpan Left => Span - _clock.Since(_started);

    /// <summary>The deadline, not the caller, ended the call.</summary>
    public bool HasPassed => _source.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Ends the call now, as the deadline would (a wait that cannot fit in it).</summary>
    public void Expire() => _source.Cancel();

    public void Dispose() => _source.Dispose();
}
