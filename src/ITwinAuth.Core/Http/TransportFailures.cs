using System;
using System.IO;
using System.Net.Http;
using System.Threading;

namespace ITwinAuth.Core;

/// <summary>What a failure to exchange bytes with the server means: a network failure (retried for
/// idempotent calls), one attempt that ran out of time (likewise), or the call's deadline (final).</summary>
internal static class TransportFailures
{
    public static bool IsTransport(Exception ex, CancellationToken caller) =>
        !caller.IsCancellationRequested &&
        ex is HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException;

    public static ITwinAuthException Describe(HttpCall call, Hop hop, Exception ex, bool attemptTimedOut) => attemptTimedOut
        ? new ITwinAuthException(ITwinErrorIds.RequestTimedOut, ITwinErrorCategory.OperationTimeout,
            $"{hop.Describe()} did not complete within {call.AttemptTimeout.TotalSeconds:0.###} s{(call.Kind == CallKind.Api ? " (-TimeoutSec)" : string.Empty)}. {Remedy(call)}", hop.Describe())
        : new ITwinAuthException(ITwinErrorIds.ApiUnreachable, ITwinErrorCategory.ConnectionError,
            $"{hop.Describe()} failed: {Sentence.End(Innermost(ex).Message)} {Remedy(call)}", hop.Describe(), ex);

    private static string Remedy(HttpCall call) => call.Kind == CallKind.Identity
        ? "Check -Authority (or -Environment) and the network."
        : "Check the connection's API host (-ApiBaseUri or -Environment of Get-ITwinServiceToken) and the network.";

    public static ITwinAuthException DeadlineExceeded(HttpCall call, Hop hop, int attempts) =>
        new(ITwinErrorIds.RequestTimedOut, ITwinErrorCategory.OperationTimeout,
            $"{hop.Describe()} did not complete within the call's overall deadline of {call.Deadline.TotalSeconds:0.###} s " +
            $"({attempts} attempt(s)). " + (call.Kind == CallKind.Api ? "Raise it with -TotalTimeoutSec if the service is slow." : Remedy(call)), hop.Describe());

    public static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }
}
