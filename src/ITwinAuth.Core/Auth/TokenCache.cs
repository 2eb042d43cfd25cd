using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// A context's in-memory token cache (the module's context is shared by every runspace of the
/// process). One entry per <see cref="TokenCacheKey"/>; concurrent callers that need a new token for
/// the same entry share one request (single flight), from any runspace or thread. A failed request
/// reaches every waiter and is not cached.
/// </summary>
public sealed class TokenCache
{
    private static readonly TimeSpan DefaultMargin = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<TokenCacheKey, Entry> _entries = new();
    private readonly Clock _clock;
    private readonly byte[] _fingerprintKey = NewFingerprintKey();

    public TokenCache(Clock clock) => _clock = clock;

    /// <summary>The key of a token for this app, these scopes and this secret (fingerprinted, never kept).</summary>
    public TokenCacheKey KeyFor(Uri authority, ServiceCredential credential, string[] scopes) =>
        new(TokenCacheKey.NormalizeAuthority(authority), credential.ClientId, string.Join(" ", TokenCacheKey.NormalizeScopes(scopes)),
            SecretText.Fingerprint(credential.Secret, _fingerprintKey));

    private static byte[] NewFingerprintKey()
    {
        var key = new byte[32];
        using var random = System.Security.Cryptography.RandomNumberGenerator.Create();
        random.GetBytes(key);
        return key;
    }

    private sealed class Entry
    {
        public readonly object Gate = new();
        public ITwinAccessToken? Token;
        public Task<ITwinAccessToken>? InFlight;
    }

    /// <summary>
    /// Five minutes, or a tenth of the lifetime for tokens shorter than fifty minutes. A margin given
    /// by the caller that is not shorter than the lifetime would renew on every call: it is held to
    /// half the lifetime (<see cref="IsMarginClamped"/> tells the caller to say so).
    /// </summary>
    public static TimeSpan MarginFor(TimeSpan lifetime, TimeSpan? overrideMargin) => overrideMargin switch
    {
        { } margin when IsMarginClamped(lifetime, margin) => TimeSpan.FromTicks(lifetime.Ticks / 2),
        { } margin => margin,
        _ => lifetime.Ticks / 10 < DefaultMargin.Ticks ? TimeSpan.FromTicks(lifetime.Ticks / 10) : DefaultMargin,
    };

    public static bool IsMarginClamped(TimeSpan lifetime, TimeSpan? margin) => margin is { } m && m >= lifetime;

    public bool IsFresh(ITwinAccessToken token, TimeSpan? overrideMargin) =>
        _clock.Until(token.ExpiresAtTimestamp) > MarginFor(token.Lifetime, overrideMargin);

    /// <summary>The cached token for a key, fresh or not, without requesting one.</summary>
    public ITwinAccessToken? Peek(TokenCacheKey key) =>
        _entries.TryGetValue(key, out var entry) ? Volatile.Read(ref entry.Token) : null;

    /// <summary>A fresh cached token for the key, or null.</summary>
    public ITwinAccessToken? TryGetFresh(TokenCacheKey key, TimeSpan? margin)
    {
        var token = Peek(key);
        return token is not null && IsFresh(token, margin) ? token.AsCacheHit() : null;
    }

    /// <summary>
    /// Returns a fresh cached token, or joins/starts the one request for a new token.
    /// <paramref name="force"/> skips the cached token but still joins a request already under way.
    /// </summary>
    public async Task<ITwinAccessToken> GetOrRequestAsync(TokenCacheKey key, TimeSpan? margin, bool force,
        Func<Task<ITwinAccessToken>> request, ILogSink log, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(key, _ => new Entry());
        Task<ITwinAccessToken> flight;
        TaskCompletionSource<ITwinAccessToken>? mine = null;
        lock (entry.Gate)
        {
            if (!force && entry.Token is { } cached && IsFresh(cached, margin))
            {
                if (log.ShowsVerbose)
                    log.Verbose($"Token cache hit for {key}; it expires {cached.ExpiresOn:u} (in {Describe(cached.ExpiresIn)}).");
                return cached.AsCacheHit();
            }

            if (entry.InFlight is { } running)
            {
                log.Verbose($"Joining the token request already under way for {key}.");
                flight = running;
            }
            else
            {
                log.Verbose(force
                    ? $"Requesting a new token for {key} (forced)."
                    : entry.Token is null
                        ? $"Token cache miss for {key}; getting a token."
                        : $"Cached token for {key} is within its refresh margin; renewing.");
                mine = new TaskCompletionSource<ITwinAccessToken>();
                flight = entry.InFlight = mine.Task;
            }
        }

        // The request starts here, outside the lock, on this caller's own flow: no thread hop. It is
        // completed outside the lock too, so waiters may continue inline.
        if (mine is not null) _ = RunAsync(entry, request, mine);
        return await WaitAsync(flight, cancellationToken).ConfigureAwait(false);
    }

    private static async Task RunAsync(Entry entry, Func<Task<ITwinAccessToken>> request, TaskCompletionSource<ITwinAccessToken> flight)
    {
        try
        {
            var token = await request().ConfigureAwait(false);
            lock (entry.Gate)
            {
                entry.Token = token;
                entry.InFlight = null;
            }
            flight.SetResult(token);
        }
        catch (Exception ex)
        {
            lock (entry.Gate) entry.InFlight = null;
            flight.SetException(ex);
        }
    }

    /// <summary>Waits for a shared request; cancelling stops this caller's wait, not the request.</summary>
    private static async Task<T> WaitAsync<T>(Task<T> task, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled || task.IsCompleted) return await task.ConfigureAwait(false);
#if NET
        return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
#else
        var cancelled = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken)))
        {
            return await (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false)).ConfigureAwait(false);
        }
#endif
    }

    /// <summary>Drops <paramref name="token"/> if it is still the cached one (after the API rejected it).</summary>
    public void Invalidate(ITwinAccessToken token)
    {
        if (!_entries.TryGetValue(token.Key, out var entry)) return;
        lock (entry.Gate)
        {
            if (entry.Token is { } cached && cached.ExpiresAtTimestamp == token.ExpiresAtTimestamp &&
                ReferenceEquals(cached.SecureToken, token.SecureToken))
                entry.Token = null;
        }
    }

    /// <summary>Forgets tokens: all of them, or those matching the filter. Returns how many were dropped.</summary>
    public int Clear(Func<TokenCacheKey, bool>? filter = null)
    {
        var removed = 0;
        foreach (var pair in _entries)
        {
            if (filter is not null && !filter(pair.Key)) continue;
            lock (pair.Value.Gate)
            {
                if (pair.Value.Token is not null) removed++;
                pair.Value.Token = null;
            }
        }
        return removed;
    }

    internal static string Describe(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:D2}m" :
        span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:D2}s" :
        $"{Math.Max(0, span.TotalSeconds):0.#}s";
}
