using System;
using System.Linq;
using System.Net;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// API calls wait out their application's rate-limit pause at that host before sending, and a 429
/// with a usable Retry-After sets the pause for everyone (<see cref="RateLimitGate"/>). A pause
/// longer than what is left of the call's deadline is not waited: the call fails at once.
/// </summary>
internal sealed class RateLimitPolicy : HttpPipelinePolicy
{
    private readonly RateLimitGate _gate;

    public RateLimitPolicy(RateLimitGate gate) => _gate = gate;

    public override async Task ProcessAsync(HttpMessage message, PolicyChain next)
    {
        if (message.Call.Kind != CallKind.Api)
        {
            await next.SendAsync(message).ConfigureAwait(false);
            return;
        }

        var key = RateLimitGate.KeyFor(message.Hop.Uri, message.Token?.ClientId);
        var origin = CredentialBoundary.OriginOf(message.Hop.Uri);
        var left = _gate.Left(key);
        if (left > TimeSpan.Zero)
        {
            if (left > message.Deadline.Left)
                throw new ITwinAuthException(ITwinErrorIds.RateLimited, ITwinErrorCategory.LimitsExceeded,
                    $"{origin} asked this application to wait {Seconds(left)} before its next request (Retry-After of an earlier 429), " +
                    $"longer than what is left of this call's {message.Deadline.Span.TotalSeconds:0} s deadline, so it was not sent. " +
                    "Try again later, raise -TotalTimeoutSec, or forget the pause with Clear-ITwinTokenCache.", message.Hop.Describe());
            message.Log.Verbose($"{origin} asked this application to slow down: waiting {left.TotalSeconds:0.0} s before sending.");
            await _gate.WaitAsync(left, message.Deadline.Token).ConfigureAwait(false);
        }

        await next.SendAsync(message).ConfigureAwait(false);

        var response = message.Response!;
        if (response.StatusCode != (HttpStatusCode)429 || RetryAfterHeader.From(response, message.Clock).Delay is not { } pause) return;
        var kept = _gate.Pause(key, pause);
        var limits = response.Headers.Where(h => h.Key.StartsWith("ITwinPlatform-RateLimit", StringComparison.OrdinalIgnoreCase))
            .Take(8).Select(h => $"{ServerText.Line(h.Key, 60)}: {ServerText.Line(string.Join(", ", h.Value), 100)}").ToArray();
        message.Log.Verbose($"{origin} is rate-limiting this application: new requests to it wait {kept.TotalSeconds:0.0} s" +
            (limits.Length > 0 ? $" ({string.Join("; ", limits)})." : "."));
    }

    private static string Seconds(TimeSpan span) => span.TotalMinutes >= 2 ? $"{span.TotalMinutes:0} min" : $"{span.TotalSeconds:0} s";
}
