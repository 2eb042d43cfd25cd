using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Discovery and token requests: inside the authority's boundary, small bounded bodies,
/// their own retry options and deadline, and one word for "the authority could not be reached".</summary>
internal static class IdentityRequests
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static HttpCall NewCall(HttpMethod method, Uri uri, Uri authority)
    {
        var call = new HttpCall(method, uri, CredentialBoundary.ForIdentity(authority))
        {
            Retry = RetryOptions.TokenRequests,
            AttemptTimeout = TimeSpan.FromSeconds(30),
            Deadline = Deadline,
        };
        call.Headers["Accept"] = "application/json";
        return call;
    }

    public static async Task<HttpResult> SendAsync(HttpPipeline pipeline, HttpCall call, string what, ILogSink log, CancellationToken cancellationToken)
    {
        try
        {
            return await pipeline.SendAsync(call, log, cancellationToken).ConfigureAwait(false);
        }
        catch (ITwinAuthException ex) when (ex.ErrorId is ITwinErrorIds.ApiUnreachable or ITwinErrorIds.RequestTimedOut)
        {
            throw new ITwinAuthException(ITwinErrorIds.AuthorityUnreachable, ITwinErrorCategory.ConnectionError,
                $"{what} could not be reached. {ex.Message}",
                call.Uri.ToString(), ex);
        }
    }
}
