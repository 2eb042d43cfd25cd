using System;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Output;

/// <summary>Runs an action on the pipeline thread through an output and completes when it has run.</summary>
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
