using System;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Tries again what <see cref="ResponseClassifier"/> calls retryable, waiting as the server asks
/// (Retry-After) or backing off, within the call's retry count and deadline. An attempt is the send
/// and the read of its body: a failure while reading the body is retried like a failure to send.
/// A wait that would pass the deadline is not started.
/// </summary>
internal sealed class RetryPolicy : HttpPipelinePolicy
{
    private enum Verdict { Retry, GiveUp, PastDeadline }

    private readonly Random _random = new();

    public override async Task ProcessAsync(HttpMessage message, PolicyChain next)
    {
        while (true)
        {
            try
            {
                await next.SendAsync(message).ConfigureAwait(false);
                var response = message.Response!;
                var retryAfter = RetryAfterHeader.From(response, message.Clock);
                if (ResponseClassifier.IsRetryableStatus(response.StatusCode, ResponseClassifier.IsIdempotent(message.Call, message.Hop)) &&
                    await WaitAsync(message, retryAfter, $"{message.Hop.Describe()} answered {(int)response.StatusCode} {Sentence.Excerpt(response.ReasonPhrase ?? string.Empty, 60)}")
                        .ConfigureAwait(false) == Verdict.Retry)
                    continue;
                message.Result = await BodyReader.ReadAsync(message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ResponseClassifier.IsTransportFailure(ex, message.Deadline.Token))
            {
                var failure = TransportFailures.Describe(message, ex);
                if (!ResponseClassifier.IsRetryableFailure(ex, message.Call, message.Hop))
                {
                    if (!ResponseClassifier.IsIdempotent(message.Call, message.Hop))
                        message.Log.Verbose($"{Sentence.Trim(failure.Message)}; {message.Hop.Method.Method} is not idempotent, so it is not sent again.");
                    throw failure;
                }
                switch (await WaitAsync(message, default, failure.Message).ConfigureAwait(false))
                {
                    case Verdict.GiveUp: throw failure;
                    case Verdict.PastDeadline: throw TransportFailures.PastDeadline(message, failure);
                }
            }
        }
    }

    /// <summary>Waits before the next try if the classifier, the count and the deadline allow it.</summary>
    private async Task<Verdict> WaitAsync(HttpMessage message, RetryAfterHeader retryAfter, string reason)
    {
        var verdict = Decide(message, retryAfter, reason, out var delay);
        if (verdict != Verdict.Retry) return verdict;
        message.Response = null;
        await message.Clock.DelayAsync(delay, message.Deadline.Token).ConfigureAwait(false);
        return Verdict.Retry;
    }

    private Verdict Decide(HttpMessage message, RetryAfterHeader retryAfter, string reason, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        var call = message.Call;
        var log = message.Log;
        var retry = ++message.Retries;
        var options = call.Retry;
        if (retry > options.MaximumRetryCount)
        {
            if (options.MaximumRetryCount > 0)
                log.Verbose($"{Sentence.Trim(reason)}; giving up after {options.MaximumRetryCount} retries.");
            return Verdict.GiveUp;
        }
        if (retryAfter.IsPresent && !retryAfter.IsUsable)
            log.Verbose($"{Sentence.Trim(reason)} with a Retry-After of '{Sentence.Excerpt(retryAfter.Raw!, 40)}', which is neither seconds nor an HTTP date: backing off instead.");
        double jitter;
        lock (_random) jitter = _random.NextDouble();
        delay = options.DelayFor(retry, retryAfter, jitter, out var fromServer);
        if (delay > message.Deadline.Left)
        {
            log.Verbose($"{Sentence.Trim(reason)}; waiting {delay.TotalSeconds:0.0} s{(fromServer ? " as Retry-After asks" : string.Empty)} would pass the call's " +
                $"{message.Deadline.Span.TotalSeconds:0} s deadline, so giving up.");
            return Verdict.PastDeadline;
        }
        log.Verbose($"{Sentence.Trim(reason)}; waiting {delay.TotalSeconds:0.0} s{(fromServer ? " as Retry-After asks" : " (back-off)")} before retry {retry} of {options.MaximumRetryCount}.");
        return Verdict.Retry;
    }
}
