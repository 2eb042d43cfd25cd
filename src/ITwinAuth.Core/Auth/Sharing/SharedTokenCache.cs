using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// The token cache shared by processes and machines through a store (opted in per connection). It
/// runs inside the in-memory cache's single flight, so a process asks the store at most once at a
/// time per token; it decides, in order: the shared entry when it can be used
/// (<see cref="SharedTokenEntry"/>); else, on this machine, one process at a time
/// (<see cref="MachineLock"/>), which reads the entry again with the lock (waiting for the vault to
/// show it when the lock's note says one was stored); else the authority, and the new token is
/// written for the others.
/// A store that fails (locked, offline, throwing, slow) costs a warning, once per store in this
/// process, and never the token: the in-memory cache goes on alone. Time: the read, the lock and the
/// second read share <see cref="Budget"/>; the write has <see cref="WriteBudget"/>; the token request
/// keeps its own deadline. Which entries this process found or wrote is kept, so that Disconnect-ITwin
/// and Clear-ITwinTokenCache can remove them too.
/// </summary>
public sealed class SharedTokenCache
{
    /// <summary>The most the steps before the token request may take together: the read, the wait for the
    /// lock and the read after it.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    /// <summary>The longest wait for another process's renewal.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    /// <summary>The most writing or removing an entry may take.</summary>
    public static readonly TimeSpan WriteBudget = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait for the store to show a token the lock's note says another process stored
    /// (SecretStore shows another process's write after about 5 s).</summary>
    public static readonly TimeSpan CatchUpWait = TimeSpan.FromSeconds(7);

    private readonly Clock _clock;
    /// <summary>The entries this process found or wrote, by store and name.</summary>
    private readonly ConcurrentDictionary<(string Store, string Name), Used> _used = new();
    private readonly ConcurrentDictionary<string, byte> _warned = new(StringComparer.OrdinalIgnoreCase);
    private readonly RejectedTokens _rejected = new();

    public SharedTokenCache(Clock clock, string? lockFolder = null)
    {
        _clock = clock;
        LockFolder = lockFolder ?? MachineLock.DefaultFolder();
    }

    /// <summary>Where the renewal locks are kept.</summary>
    public string LockFolder { get; }

    /// <summary>A token for <paramref name="request"/>: the shared one, or <paramref name="fromAuthority"/>'s,
    /// which is then shared.</summary>
    public async Task<ITwinAccessToken> GetOrRequestAsync(SharedTokenRequest request, Func<Task<ITwinAccessToken>> fromAuthority)
    {
        MachineLock? held = null;
        try
        {
            try
            {
                using var deadline = new CallDeadline(Budget, _clock, request.Cancellation);
                var readable = true;
                if (!request.Force)
                {
                    var (token, answered) = await TryReadAsync(request, deadline).ConfigureAwait(false);
                    if (token is not null) return token;
                    readable = answered;
                }
                // A store that cannot be read cannot pass a token on: then no process waits for another.
                if (readable)
                {
                    var left = deadline.Left;
                    var (lockHeld, waited) = await MachineLock.AcquireAsync(LockFolder, request.Name, left < LockWait ? left : LockWait,
                        request.Log, deadline.Token).ConfigureAwait(false);
                    held = lockHeld;
                    if (!request.Force)
                    {
                        var (written, relocked) = await ReadAfterLockAsync(request, held, waited, deadline).ConfigureAwait(false);
                        held = relocked;
                        if (written is not null) return written;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The budget ran out (or the command that started this renewal was stopped) before the
                // token request: it is made anyway, for every caller waiting on this renewal.
                request.Log.Verbose($"The shared token cache did not answer within {Budget.TotalSeconds:0} s: requesting a token without it.");
            }
            var fresh = await fromAuthority().ConfigureAwait(false);
            if (await TryWriteAsync(request, fresh).ConfigureAwait(false)) held?.WriteNote(fresh.ExpiresOn, fresh.Lifetime);
            return fresh;
        }
        finally
        {
            held?.Dispose();
        }
    }

    /// <summary>
    /// With the lock: the entry another process has stored since this one's first read, if any. The
    /// lock's note says whether a token that is still fresh was stored; then the store is read until it
    /// shows it (at most <see cref="CatchUpWait"/>), since a store may show this process another's write
    /// only seconds later. With no such note, one read: the holder this process waited for, or a process
    /// on another machine, may have stored one since. Without a lock (a folder that cannot be used), none.
    /// </summary>
    /// <returns>The token, and the lock the caller holds afterwards (taken again when the vault did not show
    /// the noted token, so that this process's renewal replaces the note).</returns>
    private async Task<(ITwinAccessToken? Token, MachineLock? Held)> ReadAfterLockAsync(SharedTokenRequest request, MachineLock? held, bool waited, CallDeadline deadline)
    {
        if (held is null && !waited) return (null, held);
        var note = held?.ReadNote();
        // The note is believed only for a token that could be fresh now (not further off than its lifetime,
        // as an entry is checked) and that the API has not rejected in this process (the note of a rejected
        // token would keep this process waiting for a token the store already shows).
        var stored = note is { } n && SharedTokenEntry.Staleness(n.ExpiresOn, n.Lifetime, request.Margin, _clock) is null &&
                     !_rejected.Expiring(n.ExpiresOn);
        if (!stored) return ((await TryReadAsync(request, deadline).ConfigureAwait(false)).Token, held);
        request.Log.Verbose($"Another process stored a token that expires {note!.Value.ExpiresOn:u}: reading {request.Store.Description} until it shows it.");
        // The lock is let go first: the processes behind this one wait for the vault side by side, not one
        // after another (each could otherwise spend its whole lock wait behind the others' catch-up).
        held!.Dispose();
        var pause = TimeSpan.FromMilliseconds(100);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var read = 0; ; read++)
        {
            var (token, answered) = await TryReadAsync(request, deadline, quiet: read > 0).ConfigureAwait(false);
            if (token is not null || !answered) return (token, null);
            if (watch.Elapsed >= CatchUpWait)
            {
                request.Log.Verbose($"The vault ({request.Store.Description}) did not show the stored token within {CatchUpWait.TotalSeconds:0} s.");
                var left = deadline.Left;
                var (again, _) = await MachineLock.AcquireAsync(LockFolder, request.Name, left < LockWait ? left : LockWait, request.Log, deadline.Token)
                    .ConfigureAwait(false);
                return (null, again);
            }
            // Real time: the wait is for the store to catch up with another process, not for this one's clock.
            await Task.Delay(pause, deadline.Token).ConfigureAwait(false);
            if (pause < TimeSpan.FromSeconds(1)) pause = TimeSpan.FromTicks(pause.Ticks * 2);
        }
    }

    /// <summary>The API rejected <paramref name="token"/> (401): a shared entry holding it is not used again.</summary>
    public void Reject(ITwinAccessToken token) => _rejected.Add(token);

    /// <summary>How many shared entries this process found or wrote whose key matches (what a removal would remove).</summary>
    public int CountUsed(Func<TokenCacheKey, bool>? filter) => _used.Values.Count(used => filter is null || filter(used.Key));

    /// <summary>Removes the shared entries this process used whose key matches; a store that fails is
    /// warned about, and the others are still removed. Returns how many were removed.</summary>
    public async Task<int> RemoveAsync(Func<TokenCacheKey, bool>? filter, IPipelineDispatcher dispatcher, ILogSink log, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var pair in _used.ToArray())
        {
            var used = pair.Value;
            if (filter is not null && !filter(used.Key)) continue;
            try
            {
                // The lock's note would send the next process waiting for a token that is gone.
                var (held, _) = await MachineLock.AcquireAsync(LockFolder, used.Name, TimeSpan.FromSeconds(1), log, cancellationToken).ConfigureAwait(false);
                using (held) held?.ClearNote();
                if (await used.Store.RemoveAsync(used.Name, WriteBudget, dispatcher, cancellationToken).ConfigureAwait(false))
                {
                    removed++;
                    log.Verbose($"Removed the shared token {used.Name} from {used.Store.Description}.");
                }
                _used.TryRemove(pair.Key, out _);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                log.Warning($"The shared token {used.Name} could not be removed from {used.Store.Description}: {Reason(ex)} " +
                            $"Other processes may use it until it expires; remove it with Remove-Secret -Name {used.Name}.");
            }
        }
        return removed;
    }

    /// <summary>Reads the entry. Token: the usable token, or null. Answered: false when the store failed.</summary>
    /// <param name="quiet">A read of a poll after the first: an absent or unusable entry is not told again.</param>
    private async Task<(ITwinAccessToken? Token, bool Answered)> TryReadAsync(SharedTokenRequest request, CallDeadline deadline, bool quiet = false)
    {
        var log = request.Log;
        StoredEntry? entry;
        try
        {
            entry = await request.Store.ReadAsync(request.Name, Positive(deadline.Left), request.Dispatcher, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !request.Cancellation.IsCancellationRequested)
        {
            // Any failure of the store, the module's or not: the shared cache never ends a sign-in.
            Failed(request, "read", ex);
            return (null, false);
        }
        // The store holds an entry under this name: Disconnect-ITwin and Clear-ITwinTokenCache remove it.
        if (entry is not null) Remember(request);
        if (entry is null)
        {
            if (!quiet) log.Verbose($"No shared token {request.Name} in {request.Store.Description} yet.");
            return (null, true);
        }
        var token = SharedTokenEntry.Read(entry, request.Name, request.Key, request.Authority, request.Margin, _clock, out var reason);
        if (token is not null && _rejected.Contains(token))
        {
            token = null;
            reason = "the API rejected its token (401)";
        }
        if (token is null)
        {
            if (!quiet) log.Verbose($"The shared token {request.Name} in {request.Store.Description} is not used: {reason}. It will be replaced.");
            return (null, true);
        }
        log.Verbose($"Using the shared token {request.Name} from {request.Store.Description}; it expires {token.ExpiresOn:u} (in {TokenCache.Describe(token.ExpiresIn)}).");
        return (token, true);
    }

    /// <summary>Stores the token for the others; false when it could not be stored.</summary>
    private async Task<bool> TryWriteAsync(SharedTokenRequest request, ITwinAccessToken token)
    {
        if (!SharedTokenEntry.Fits(token))
        {
            request.Log.Verbose($"The new token is {token.SecureToken.Length:N0} characters long, too long to share (a vault's SecureString holds " +
                                "at most 65,536 with the entry around it): it is kept in this process only.");
            return false;
        }
        try
        {
            using var deadline = new CallDeadline(WriteBudget, _clock, request.Cancellation);
            using var value = SharedTokenEntry.Encode(token, request.Name);
            await request.Store.WriteAsync(request.Name, value, SharedTokenEntry.Metadata(token), WriteBudget, request.Dispatcher, deadline.Token)
                .ConfigureAwait(false);
            Remember(request);
            request.Log.Verbose($"Shared the new token as {request.Name} in {request.Store.Description} (expires {token.ExpiresOn:u}).");
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !request.Cancellation.IsCancellationRequested)
        {
            Failed(request, "written", ex);
            return false;
        }
        catch (OperationCanceledException)
        {
            request.Log.Verbose($"The new token was not shared: the command was stopped first.");
            return false;
        }
    }

    /// <summary>A store that failed: a warning the first time in this process, a verbose line after.</summary>
    private void Failed(SharedTokenRequest request, string what, Exception ex)
    {
        var message = $"The shared token cache in {request.Store.Description} could not be {what}: {Reason(ex)} " +
                      "The token is kept in this process only, as without -ShareToken; other processes request their own.";
        if (_warned.TryAdd(request.Store.Id, 0)) request.Log.Warning(message);
        else request.Log.Verbose(message);
    }

    /// <summary>Why a store failed: the module's own message, or only the type of anything else (whose text
    /// no one checked).</summary>
    private static string Reason(Exception ex) => ex switch
    {
        OperationCanceledException => "it did not answer in time.",
        ITwinAuthException => Sentence.End(ex.Message),
        _ => $"it failed ({ex.GetType().Name}).",
    };

    private static TimeSpan Positive(TimeSpan span) => span > TimeSpan.Zero ? span : TimeSpan.Zero;

    private void Remember(SharedTokenRequest request) =>
        _used[(request.Store.Id.ToUpperInvariant(), request.Name)] = new Used(request.Store, request.Name, request.Key);

    private sealed record Used(ISharedTokenStore Store, string Name, TokenCacheKey Key);

    /// <summary>Digests and expiries of tokens the API rejected, the latest few.</summary>
    private sealed class RejectedTokens
    {
        private readonly Queue<(string Digest, DateTimeOffset ExpiresOn)> _tokens = new();

        public void Add(ITwinAccessToken token)
        {
            var digest = Digest(token);
            lock (_tokens)
            {
                if (_tokens.Any(t => t.Digest == digest)) return;
                _tokens.Enqueue((digest, token.ExpiresOn));
                while (_tokens.Count > 16) _tokens.Dequeue();
            }
        }

        public bool Contains(ITwinAccessToken token)
        {
            var digest = Digest(token);
            lock (_tokens) return _tokens.Any(t => t.Digest == digest);
        }

        /// <summary>Whether a rejected token expires at <paramref name="expiresOn"/> (to the second a note keeps).</summary>
        public bool Expiring(DateTimeOffset expiresOn)
        {
            lock (_tokens) return _tokens.Any(t => (t.ExpiresOn - expiresOn).Duration() < TimeSpan.FromSeconds(2));
        }

        private static string Digest(ITwinAccessToken token) =>
            Convert.ToBase64String(SecretText.KeyedHash(token.SecureToken, "ITwinAuth rejected token"));
    }
}

/// <summary>One renewal through the shared cache: where, under which name, for which key, and for whom.</summary>
public sealed class SharedTokenRequest
{
    public SharedTokenRequest(ISharedTokenStore store, string name, TokenCacheKey key, Uri authority, TimeSpan? margin, bool force,
        IPipelineDispatcher dispatcher, ILogSink log, CancellationToken cancellation)
    {
        Store = store;
        Name = name;
        Key = key;
        Authority = authority;
        Margin = margin;
        Force = force;
        Dispatcher = dispatcher;
        Log = log;
        Cancellation = cancellation;
    }

    public ISharedTokenStore Store { get; }
    public string Name { get; }
    public TokenCacheKey Key { get; }
    public Uri Authority { get; }
    public TimeSpan? Margin { get; }

    /// <summary>A new token is wanted (-ForceRefresh): the entry is not read, and the new token replaces it.</summary>
    public bool Force { get; }
    public IPipelineDispatcher Dispatcher { get; }
    public ILogSink Log { get; }
    public CancellationToken Cancellation { get; }
}
