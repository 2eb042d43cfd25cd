using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Sends one <see cref="HttpCall"/> as a series of attempts, each step one rule:
/// attach credentials (<see cref="CredentialsFor"/>), wait out the host's rate limit (<see cref="RateLimitGate"/>),
/// send (<see cref="SendAttemptAsync"/>),
/// follow a redirect (<see cref="EndpointPolicy.Redirect"/>), renew once on 401
/// (<see cref="ShouldRenew"/>), retry (<see cref="WaitToRetryAsync"/>) and read the body
/// (<see cref="BodyReader"/>). The call is never changed; what changes between attempts is local.
/// The call's deadline bounds all of it.
/// </summary>
public static class HttpPipeline
{
    public static async Task<HttpResult> SendAsync(HttpCall call, ILogSink log, CancellationToken cancellationToken)
    {
        if (call.OutFile is { } outFile) BodyReader.CheckOutFile(outFile, call.Describe());
        var hop = Hop.First(call);
        var attempts = 0;
        var retries = 0;
        var redirects = 0;
        var renewed = false;
        var started = MonotonicClock.Now;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(call.Deadline);

        try
        {
            while (true)
            {
                var token = await CredentialsFor(call, hop, log, deadline.Token).ConfigureAwait(false);
                if (call.Kind == CallKind.Api) await RateLimitGate.WaitAsync(hop.Uri, log, deadline.Token).ConfigureAwait(false);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                attempt.CancelAfter(call.AttemptTimeout);
                attempts++;

                HttpResponseMessage response;
                try
                {
                    response = await SendAttemptAsync(call, hop, token, attempts, log, attempt.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (TransportFailures.IsTransport(ex, deadline.Token))
                {
                    await RetryOrThrowAsync(call, hop, ex, attempt.IsCancellationRequested, ++retries, started, log, deadline.Token).ConfigureAwait(false);
                    continue;
                }

                using (response)
                {
                    if (EndpointPolicy.IsRedirect(response.StatusCode))
                    {
                        hop = FollowRedirect(call, hop, response, ++redirects, log);
                        continue;
                    }

                    if (ShouldRenew(call, response, token, renewed))
                    {
                        renewed = true;
                        log.Verbose($"{hop.Describe()} answered 401: dropping the cached token and retrying once with a new one.");
                        call.Tokens!.Rejected(token!);
                        continue;
                    }

                    var retryAfter = RetryAfterHeader.Parse(response.Headers.TryGetValues("Retry-After", out var values) ? values.FirstOrDefault() : null);
                    if (response.StatusCode == (HttpStatusCode)429 && retryAfter.Delay is { } pause && call.Kind == CallKind.Api)
                        RateLimitGate.Pause(hop.Uri, pause, response, log);
                    if (RetryPolicy.IsRetryableStatus(response.StatusCode, IsIdempotent(call, hop)) &&
                        await WaitToRetryAsync(call, hop, ++retries, retryAfter, started,
                            $"{hop.Describe()} answered {(int)response.StatusCode} {response.ReasonPhrase}", transport: false, log, deadline.Token).ConfigureAwait(false))
                        continue;

                    try
                    {
                        return await BodyReader.ReadAsync(call, hop, response, attempt.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (TransportFailures.IsTransport(ex, deadline.Token))
                    {
                        await RetryOrThrowAsync(call, hop, ex, attempt.IsCancellationRequested, ++retries, started, log, deadline.Token).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is not ITwinAuthException && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The deadline, not the caller, cancelled: whatever the cancellation surfaced as (a cancelled
            // wait, a disposed stream), it is the call's timeout.
            throw TransportFailures.DeadlineExceeded(call, hop, attempts);
        }
    }

    /// <summary>Step: the bearer token, only for a hop that may carry credentials to the token's own API origin.</summary>
    private static async Task<ITwinAccessToken?> CredentialsFor(HttpCall call, Hop hop, ILogSink log, CancellationToken cancellationToken)
    {
        if (call.Tokens is not { } tokens) return null;
        if (hop.CarriesCredentials && EndpointPolicy.SameOrigin(hop.Uri, tokens.ApiBaseUri))
            return await tokens.GetTokenAsync(false, cancellationToken).ConfigureAwait(false);
        log.Verbose($"{hop.Describe()}: not the connection's API host, so no Authorization header, -Headers or body is sent.");
        return null;
    }

    /// <summary>Step: one attempt, up to the response headers.</summary>
    private static async Task<HttpResponseMessage> SendAttemptAsync(HttpCall call, Hop hop, ITwinAccessToken? token, int attempt,
        ILogSink log, CancellationToken cancellationToken)
    {
        using var request = RequestFactory.Build(call, hop, token);
        log.Debug($"{hop.Describe()} (attempt {attempt}{(token is null ? string.Empty : ", Authorization: Bearer ***")}).");
        return await SharedHttpClient.Instance.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Step: the next hop of a redirect, as <see cref="EndpointPolicy"/> allows it.</summary>
    private static Hop FollowRedirect(HttpCall call, Hop hop, HttpResponseMessage response, int redirects, ILogSink log)
    {
        if (redirects > EndpointPolicy.MaximumRedirects)
            throw new ITwinAuthException(ITwinErrorIds.TooManyRedirects, ITwinErrorCategory.InvalidResult,
                $"{call.Describe()} was redirected more than {EndpointPolicy.MaximumRedirects} times.", call.Describe());
        var location = response.Headers.TryGetValues("Location", out var values) ? values.FirstOrDefault() : null;
        var next = EndpointPolicy.Redirect(call, hop, response.StatusCode, location);
        log.Verbose($"{hop.Describe()} redirected ({(int)response.StatusCode}) to {next.Describe()}" +
            (next.CarriesCredentials || !hop.CarriesCredentials ? "." : ", another host: followed without Authorization, -Headers or body."));
        return next;
    }

    /// <summary>Step: a 401 to a token the module can replace is answered once with a new token.</summary>
    private static bool ShouldRenew(HttpCall call, HttpResponseMessage response, ITwinAccessToken? token, bool renewed) =>
        response.StatusCode == HttpStatusCode.Unauthorized && token is not null && !renewed && call.Tokens!.CanRenew;

    /// <summary>Step: after a network failure or a timed-out attempt, waits to retry, or throws the module's error.</summary>
    private static async Task RetryOrThrowAsync(HttpCall call, Hop hop, Exception ex, bool attemptTimedOut, int retry, long started,
        ILogSink log, CancellationToken cancellationToken)
    {
        var failure = TransportFailures.Describe(call, hop, ex, attemptTimedOut);
        if (!await WaitToRetryAsync(call, hop, retry, default, started, failure.Message, transport: true, log, cancellationToken).ConfigureAwait(false))
            throw failure;
    }

    private static bool IsIdempotent(HttpCall call, Hop hop) => call.Idempotent || RetryPolicy.IsIdempotent(hop.Method);

    /// <summary>Step: waits before retry <paramref name="retry"/> if the policy and the deadline allow it; false when not.</summary>
    private static async Task<bool> WaitToRetryAsync(HttpCall call, Hop hop, int retry, RetryAfterHeader retryAfter,
        long started, string reason, bool transport, ILogSink log, CancellationToken cancellationToken)
    {
        if (transport && !IsIdempotent(call, hop))
        {
            log.Verbose($"{Sentence.Trim(reason)}; {hop.Method.Method} is not idempotent, so it is not sent again.");
            return false;
        }
        var policy = call.Retry;
        if (retry > policy.MaximumRetryCount)
        {
            if (policy.MaximumRetryCount > 0)
                log.Verbose($"{Sentence.Trim(reason)}; giving up after {policy.MaximumRetryCount} retries.");
            return false;
        }
        if (retryAfter.IsPresent && !retryAfter.IsUsable)
            log.Verbose($"{Sentence.Trim(reason)} with a Retry-After of '{Sentence.Excerpt(retryAfter.Raw!, 40)}', which is neither seconds nor an HTTP date: backing off instead.");
        var delay = policy.DelayFor(retry, retryAfter, out var fromServer);
        var left = call.Deadline - MonotonicClock.Since(started);
        if (delay > left)
        {
            log.Verbose($"{Sentence.Trim(reason)}; waiting {delay.TotalSeconds:0.0} s{(fromServer ? " as Retry-After asks" : string.Empty)} would pass the call's " +
                $"{call.Deadline.TotalSeconds:0} s deadline, so giving up.");
            return false;
        }
        log.Verbose($"{Sentence.Trim(reason)}; waiting {delay.TotalSeconds:0.0} s{(fromServer ? " as Retry-After asks" : " (back-off)")} before retry {retry} of {policy.MaximumRetryCount}.");
        await MonotonicClock.DelayAsync(delay, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
