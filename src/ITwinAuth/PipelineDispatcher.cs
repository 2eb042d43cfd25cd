using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// One command's link between its work (a task, on any thread) and the pipeline thread: the work
/// posts actions (writes, SecretManagement calls) into a queue, and the pipeline thread pumps them
/// while it waits for the work. The queue lives as long as the command, so work that outlives one
/// record (a fan-out) posts into it and the next record's or the end's pump runs what it posted.
/// </summary>
internal sealed class PipelineDispatcher : IPipelineDispatcher, IDisposable
{
    private readonly BlockingCollection<Action> _queue = new();

    /// <summary>Queues an action for the pipeline thread; false once the command has ended.</summary>
    public bool Post(Action action)
    {
        try
        {
            _queue.Add(action);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            return false; // the command has ended
        }
    }

    /// <summary>Runs <paramref name="work"/>'s posts on this (the pipeline) thread until it completes. No
    /// thread hop is paid for work that completes without waiting.</summary>
    public void Pump(Task work)
    {
        if (!work.IsCompleted)
        {
            // Wakes the pump when the work is done, even if it posted nothing.
            work.ContinueWith(_ => Post(static () => { }), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            while (!work.IsCompleted) _queue.Take()();
        }
        while (_queue.TryTake(out var action)) action();
    }

    /// <inheritdoc />
    public Task<T> InvokeAsync<T>(Func<T> function, CancellationToken cancellationToken) =>
        RunAsync(Post, function, failureStopsCommand: false, cancellationToken);

    /// <summary>
    /// The one way to run something on the pipeline thread and wait for it: through whatever queue
    /// <paramref name="post"/> feeds (the command's, or a fan-out item's place in the input order).
    /// Completes with the result; cancelled if the queue is gone or the caller gives up first.
    /// </summary>
    /// <param name="failureStopsCommand">Throw a failure on the pipeline thread as well, so the pump stops
    /// the whole command (a write that failed because the pipeline stopped, or -ErrorAction Stop).
    /// Without it only the awaiting work sees the failure, and maps it (a vault read's error).</param>
    public static Task<T> RunAsync<T>(Func<Action, bool> post, Func<T> function, bool failureStopsCommand, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        var posted = post(() =>
        {
            registration.Dispose();
            if (done.Task.IsCompleted) return;
            try
            {
                done.TrySetResult(function());
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                if (failureStopsCommand) throw;
            }
        });
        if (!posted)
        {
            registration.Dispose();
            done.TrySetCanceled();
        }
        return done.Task;
    }

    /// <summary>Runs a write on the pipeline thread; a failure there stops the command.</summary>
    public static Task RunAsync(Func<Action, bool> post, Action action, CancellationToken cancellationToken) =>
        RunAsync(post, () => { action(); return true; }, failureStopsCommand: true, cancellationToken);

    public void Dispose()
    {
        _queue.CompleteAdding();
        _queue.Dispose();
    }
}
