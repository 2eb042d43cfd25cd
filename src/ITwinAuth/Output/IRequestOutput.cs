using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Output;

/// <summary>Where one request's results go: straight to the pipeline, or, in a fan-out, through its
/// place in the input order.</summary>
internal interface IRequestOutput
{
    ILogSink Log { get; }

    /// <summary>Queues an action for the pipeline thread (a write, an error, a variable).</summary>
    bool Post(Action action);

    /// <summary>Queues an action and completes when the pipeline thread has run it: the pager waits
    /// on this before asking for the next page, so memory holds one page.</summary>
    Task RunAsync(Action action, CancellationToken cancellationToken);
}

/// <summary>A request run on its own: everything goes to the command's queue as it comes.</summary>
internal sealed class DirectOutput : IRequestOutput
{
    private readonly Func<Action, bool> _post;

    public DirectOutput(Func<Action, bool> post, ILogSink log)
    {
        _post = post;
        Log = log;
    }

    public ILogSink Log { get; }
    public bool Post(Action action) => _post(action);
    public Task RunAsync(Action action, CancellationToken cancellationToken) => OutputActions.RunAsync(this, action, cancellationToken);
}

internal static class OutputActions
{
    public static Task RunAsync(IRequestOutput output, Action action, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        var posted = output.Post(() =>
        {
            registration.Dispose();
            if (done.Task.IsCompleted) return;
            try
            {
                action();
                done.TrySetResult(true);
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                throw; // the pipeline stopped or -ErrorAction Stop: the command stops too
            }
        });
        if (!posted)
        {
            registration.Dispose();
            done.TrySetCanceled();
        }
        return done.Task;
    }
}
