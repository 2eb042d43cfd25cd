using System;
using System.Collections.Concurrent;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// The platform limits each application per minute. A 429 with a usable Retry-After pauses every new
/// request of that application to that host (all runspaces, all fan-outs of the context) for that
/// long, so the limit is learnt once instead of by every request on its own. A pause is remembered
/// for at most <see cref="LongestPause"/>; a request whose deadline cannot cover what is left of a
/// pause fails at once (<see cref="ITwinErrorIds.RateLimited"/>) instead of waiting.
/// </summary>
public sealed class RateLimitGate
{
    /// <summary>The longest pause remembered: the platform's limits are per minute (and per hour on the trial tier).</summary>
    public static readonly TimeSpan LongestPause = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, long> _pausedUntil = new(StringComparer.OrdinalIgnoreCase);
    private readonly Clock _clock;

    public RateLimitGate(Clock clock) => _clock = clock;

    /// <summary>The host and the application a pause applies to.</summary>
    public static string KeyFor(Uri target, string? clientId) => CredentialBoundary.OriginOf(target) + " " + clientId;

    /// <summary>Pauses the key for <paramref name="delay"/> (at most <see cref="LongestPause"/>); returns the pause kept.</summary>
    public TimeSpan Pause(string key, TimeSpan delay)
    {
        var kept = delay > LongestPause ? LongestPause : delay;
        var until = _clock.After(_clock.Now, kept);
        _pausedUntil.AddOrUpdate(key, until, (_, current) => Math.Max(current, until));
        return kept;
    }

    /// <summary>What is left of the key's pause; zero when there is none.</summary>
    public TimeSpan Left(string key)
    {
        if (!_pausedUntil.TryGetValue(key, out var until)) return TimeSpan.Zero;
        var left = _clock.Until(until);
        if (left > TimeSpan.Zero) return left;
        _pausedUntil.TryRemove(key, out _);
        return TimeSpan.Zero;
    }

    public Task WaitAsync(TimeSpan left, System.Threading.CancellationToken cancellationToken) => _clock.DelayAsync(left, cancellationToken);

    /// <summary>Forgets every pause (Clear-ITwinTokenCache, Disconnect-ITwin, module removal).</summary>
    public void Clear() => _pausedUntil.Clear();
}
