using System;

namespace ITwinAuth.Core;

/// <summary>What a failure to exchange bytes with the server means: a network failure (retried for
/// idempotent calls), one attempt that ran out of time (likewise), or the call's deadline (final).</summary>
internal static class TransportFailures
{
    public static ITwinAuthException Describe(HttpMessage message, Exception ex) => Describe(message.Call, message.Hop, ex, message.AttemptTimedOut);

    private static ITwinAuthException Describe(HttpCall call, Hop hop, Exception ex, bool attemptTimedOut) => attemptTimedOut
        ? new ITwinAuthException(ITwinErrorIds.RequestTimedOut, ITwinErrorCategory.OperationTimeout,
            $"{hop.Describe()} did not complete within {call.AttemptTimeout.TotalSeconds:0.###} s{(call.Kind == CallKind.Api ? " (-TimeoutSec)" : string.Empty)}. {Remedy(call)}", hop.Describe())
        : ResponseClassifier.IsProxyFailure(ex)
            ? ProxyRefused(hop, $"could not pass the proxy ({Sentence.Trim(Innermost(ex).Message)})")
        : ResponseClassifier.IsProtocolViolation(ex)
            ? new ITwinAuthException(ITwinErrorIds.ResponseInvalid, ITwinErrorCategory.InvalidResult,
                $"{hop.Describe()} answered with a response that breaks HTTP ({Sentence.Trim(Innermost(ex).Message)}); it is not tried again. " +
                "The server or a proxy in between is at fault.", hop.Describe())
            // .NET's own text is quoted only through ServerText (a proxy's user:password@ in it is removed), and the
            // exception itself is not kept: its message and its inner ones would print unfiltered.
            : new ITwinAuthException(ITwinErrorIds.ApiUnreachable, ITwinErrorCategory.ConnectionError,
                $"{hop.Describe()} failed: {Sentence.End(Innermost(ex).Message)} {Remedy(call)}", hop.Describe());

    private static string Remedy(HttpCall call) => call.Kind == CallKind.Identity
        ? "Check -Authority (or -Environment) and the network."
        : "Check the API host (the connection's, from -ApiBaseUri or -Environment of Connect-ITwin, or a -Token's) and the network.";

    /// <summary>The proxy refused or failed the request: its credentials are missing or wrong, or it cannot reach the host.</summary>
    public static ITwinAuthException ProxyRefused(Hop hop, string what) =>
        new(what.Contains("407") ? ITwinErrorIds.ProxyAuthenticationRequired : ITwinErrorIds.ProxyFailed, ITwinErrorCategory.ConnectionError,
            $"{hop.Describe()}: the proxy between this machine and the host {what}. Give the proxy's credentials with -ProxyCredential " +
            "(or -ProxyUseDefaultCredentials) and its address with -Proxy on Connect-ITwin, or connect directly with -NoProxy.", hop.Describe());

    /// <summary>A failure whose retry would not fit in what is left of the call's deadline.</summary>
    public static ITwinAuthException PastDeadline(HttpMessage message, ITwinAuthException failure) =>
        new(failure.ErrorId, failure.Category,
            $"{Sentence.Trim(failure.Message)}; a retry would pass the call's overall deadline of {message.Deadline.Span.TotalSeconds:0.###} s " +
            $"({message.Attempts} attempt(s)).", failure.Target);

    public static ITwinAuthException DeadlineExceeded(HttpMessage message) =>
        new(ITwinErrorIds.RequestTimedOut, ITwinErrorCategory.OperationTimeout,
            $"{message.Hop.Describe()} did not complete within the call's overall deadline of {message.Deadline.Span.TotalSeconds:0.###} s " +
            $"({message.Attempts} attempt(s)). " + (message.Call.Kind == CallKind.Api ? "Raise it with -TotalTimeoutSec if the service is slow." : Remedy(message.Call)),
            message.Hop.Describe());

    public static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }
}
