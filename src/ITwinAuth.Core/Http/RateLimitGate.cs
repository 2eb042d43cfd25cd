using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// The platform limits each application per minute. A 429 with Retry-After from an API host pauses
/// every new request of the process to that host (all runspaces, all fan-outs) for that long, so the
/// limit is learnt once instead of by every request on its own.
/// </summary>
public static class RateLimitGate
{
    private static readonly ConcurrentDictionary<string, long> PausedUntil = new(StringComparer.OrdinalIgnoreCase);

    public static void Pause(Uri target, TimeSpan delay, HttpResponseMessage response, ILogSink log)
    {
        var origin = EndpointPolicy.OriginOf(target);
        var until = MonotonicClock.After(MonotonicClock.Now, delay);
        PausedUntil.AddOrUpdate(origin, until, (_, current) => Math.Max(current, until));
        var limits = response.Headers.Where(h => h.Key.StartsWith("ITwinPlatform-RateLimit", StringComparison.OrdinalIgnoreCase))
            .Select(h => $"{h.Key}: {string.Join(", ", h.Value)}").ToArray();
        log.Verbose($"{origin} is rate-limiting this application: new requests to it wait {delay.TotalSeconds:0.0} s" +
            (limits.Length > 0 ? $" ({string.Join("; ", limits)})." : "."));
    }

    /// <summary>Waits while the host is paused; returns at once otherwise.</summary>
    public static Task WaitAsync(Uri target, ILogSink log, CancellationToken cancellationToken)
    {
        var origin = EndpointPolicy.OriginOf(target);
        if (!PausedUntil.TryGetValue(origin, out var until)) return Task.CompletedTask;
        var left = MonotonicClock.Until(until);
        if (left <= TimeSpan.Zero)
        {
            PausedUntil.TryRemove(origin, out _);
            return Task.CompletedTask;
        }
        log.Verbose($"{origin} asked this application to slow down: waiting {left.TotalSeconds:0.0} s before sending.");
        return MonotonicClock.DelayAsync(left, cancellationToken);
    }

    /// <summary>Forgets every pause (module removal).</summary>
    public static void Reset() => PausedUntil.Clear();
}
