using System;
using System.Net.Http;
using System.Threading;

namespace ITwinAuth.Core;

/// <summary>
/// One call on its way through the pipeline: the call (never changed), and what changes between
/// attempts: the hop, the token sent, the response, the counters. Each policy reads and sets only
/// its own part.
/// </summary>
public sealed class HttpMessage : IDisposable
{
    private HttpResponseMessage? _response;
    private CancellationTokenSource? _attempt;

    internal HttpMessage(HttpCall call, CallDeadline deadline, Clock clock, ILogSink log)
    {
        Call = call;
        Deadline = deadline;
        Clock = clock;
        Log = log;
        Hop = Hop.First(call);
    }

    public HttpCall Call { get; }
    public CallDeadline Deadline { get; }
    public Clock Clock { get; }
    public ILogSink Log { get; }

    /// <summary>Where the next attempt goes and what it may carry.</summary>
    public Hop Hop { get; set; }

    /// <summary>The token the last attempt carried, if any.</summary>
    public ITwinAccessToken? Token { get; set; }

    /// <summary>The last attempt's response, up to its headers. Setting a new one disposes the old.</summary>
    public HttpResponseMessage? Response
    {
        get => _response;
        set
        {
            if (!ReferenceEquals(_response, value)) _response?.Dispose();
            _response = value;
        }
    }

    /// <summary>The final response with its body read: what the call returns.</summary>
    public HttpResult? Result { get; set; }

    public int Attempts { get; set; }
    public int Retries { get; set; }
    public int Redirects { get; set; }
    public bool Renewed { get; set; }

    /// <summary>Cancelled by the caller, the deadline, or this attempt's own timeout.</summary>
    public CancellationToken AttemptToken => _attempt?.Token ?? Deadline.Token;

    /// <summary>This attempt, not the deadline or the caller, ran out of time.</summary>
    public bool AttemptTimedOut => _attempt is { IsCancellationRequested: true } && !Deadline.Token.IsCancellationRequested;

    /// <summary>Starts an attempt's own timeout, from sending to the last byte of the body.</summary>
    public void BeginAttempt()
    {
        _attempt?.Dispose();
        _attempt = null;
        // An attempt that the deadline ends first anyway needs no timer of its own.
        if (Call.AttemptTimeout >= Deadline.Span) return;
        _attempt = CancellationTokenSource.CreateLinkedTokenSource(Deadline.Token);
        _attempt.CancelAfter(Call.AttemptTimeout);
    }

    public void Dispose()
    {
        Response = null;
        _attempt?.Dispose();
    }
}
