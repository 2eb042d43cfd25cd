using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;

namespace ITwinAuth.Core;

/// <summary>
/// What is worth trying again, in one place: 429 and 503 for any method; 502, 504 and a failure
/// to exchange bytes (a refused connection, a reset, a timed-out attempt) only for idempotent calls,
/// because the server may have acted on a request it did not answer. Never a local error, a body
/// over its limit, a bad encoding or a refused redirect: those are the module's own exceptions.
/// </summary>
public static class ResponseClassifier
{
    public static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Put ||
        method == HttpMethod.Delete || method == HttpMethod.Options;

    /// <summary>The call may be sent again: its method is idempotent, or the call says so (the token request).</summary>
    public static bool IsIdempotent(HttpCall call, Hop hop) => call.Idempotent || IsIdempotent(hop.Method);

    public static bool IsRetryableStatus(HttpStatusCode status, bool idempotent) => (int)status switch
    {
        429 or 503 => true,
        502 or 504 => idempotent,
        _ => false,
    };

    public static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    /// <summary>A failure to exchange bytes with the server, as opposed to the caller or the deadline
    /// cancelling (<paramref name="deadline"/>), or the module refusing something.</summary>
    public static bool IsTransportFailure(Exception ex, CancellationToken deadline) =>
        !deadline.IsCancellationRequested &&
        ex is HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException;

    /// <summary>A transport failure that a retry could cure (not a response that breaks HTTP, nor a proxy's refusal)
    /// on a call that may be sent again: the server may have acted on a request it did not answer.</summary>
    public static bool IsRetryableFailure(Exception ex, HttpCall call, Hop hop) =>
        IsIdempotent(call, hop) && !IsProtocolViolation(ex) && !IsProxyFailure(ex);

    /// <summary>The proxy refused the tunnel (a 407 to CONNECT, or the proxy could not reach the host).</summary>
    public static bool IsProxyFailure(Exception ex) => RequestError(ex) is "ProxyTunnelError";

    /// <summary>
    /// The server answered, but not in HTTP: headers over the handler's limit, a malformed status line
    /// or header. The same request will get the same answer. .NET 8 and later say so in
    /// HttpRequestException.HttpRequestError, read by name so that this builds for .NET 6 too.
    /// </summary>
    public static bool IsProtocolViolation(Exception ex) => RequestError(ex) is "InvalidResponse" or "ConfigurationLimitExceeded";

    /// <summary>The first HttpRequestException's HttpRequestError in the chain, by name (null before .NET 8).</summary>
    private static string? RequestError(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is HttpRequestException && e.GetType().GetProperty("HttpRequestError")?.GetValue(e)?.ToString() is { } name && name != "Unknown")
                return name;
        return null;
    }
}
