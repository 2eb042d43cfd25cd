using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// The send path: one call through an ordered list of small policies over a transport. From the
/// outside in: the deadline, retry (which reads the final body within its limit), redirect, renew
/// on 401, the token, the rate-limit gate (per application, so after the token), and the transport. Each policy is one file and one rule;
/// a test replaces the transport with a handler of its own.
/// </summary>
public sealed class HttpPipeline
{
    private readonly HttpPipelinePolicy[] _policies;
    private readonly Clock _clock;

    public HttpPipeline(Clock clock, RateLimitGate rateLimits, HttpMessageInvoker transport)
    {
        _clock = clock;
        _policies = new HttpPipelinePolicy[]
        {
            new DeadlinePolicy(),
            new RetryPolicy(),
            new RedirectPolicy(),
            new RenewOn401Policy(),
            new AuthorizationPolicy(),
            new RateLimitPolicy(rateLimits),
            new TransportPolicy(transport),
        };
    }

    /// <summary>Sends the call; <paramref name="deadline"/> is a listing's, shared by its pages, or null
    /// for a deadline of the call's own.</summary>
    public async Task<HttpResult> SendAsync(HttpCall call, ILogSink log, CancellationToken cancellationToken, CallDeadline? deadline = null)
    {
        if (call.OutFile is { } outFile) BodyReader.CheckOutFile(outFile, call.Describe());
        var own = deadline is null ? new CallDeadline(call.Deadline, _clock, cancellationToken) : null;
        try
        {
            using var message = new HttpMessage(call, deadline ?? own!, _clock, log);
            await new PolicyChain(_policies, 0).SendAsync(message).ConfigureAwait(false);
            return message.Result ?? throw new InvalidOperationException("The pipeline ended without a result.");
        }
        finally
        {
            own?.Dispose();
        }
    }
}
