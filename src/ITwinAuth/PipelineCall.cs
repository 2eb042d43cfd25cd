using System;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth;

/// <summary>Runs a function on the pipeline thread, through whatever queue <c>post</c> feeds, and
/// completes with its result: cancelled if the queue is gone or the caller gives up first.</summary>
internal static class PipelineCall
{
    /// <param name="failureStopsCommand">Throw a failure on the pipeline thread as well, so that the pump
    /// stops the whole command (a write that failed because the pipeline stopped, or -ErrorAction Stop).
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
}
