using System.Collections.Concurrent;
using System.Security;
using System.Text;
using System.Text.Json;
using Xunit;

namespace ITwinAuth.Core.Tests.Sharing;

/// <summary>
/// An in-memory <see cref="ISharedTokenStore"/>: it keeps plain text (a test's store, never a real one),
/// counts every call, and can fail, hang until cancelled, or hold a read or a write at a gate the test opens.
/// </summary>
public sealed class FakeSharedStore : ISharedTokenStore
{
    private readonly ConcurrentDictionary<string, StoredEntry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Written> _written = new();
    private int _reads, _writes, _removes;

    public FakeSharedStore(string id = "test-vault") => Id = id;

    public string Id { get; }
    public string Description => $"the test store '{Id}'";

    public int Reads => Volatile.Read(ref _reads);
    public int Writes => Volatile.Read(ref _writes);
    public int Removes => Volatile.Read(ref _removes);

    /// <summary>Every value written, as text, in order.</summary>
    public IReadOnlyList<Written> WrittenValues => _written.ToArray();

    /// <summary>The names RemoveAsync was called with, in order.</summary>
    public ConcurrentQueue<string> RemovedNames { get; } = new();

    public bool ThrowOnRead { get; set; }
    public bool ThrowOnWrite { get; set; }
    public bool ThrowOnRemove { get; set; }

    /// <summary>A read that never answers: it ends only when its token is cancelled.</summary>
    public bool HangOnRead { get; set; }

    /// <summary>The hanging read was cancelled (the cache gave up on it).</summary>
    public bool SawCancellation { get; private set; }

    /// <summary>When set, a read waits here after it is counted (and after <see cref="ReadEntered"/>).</summary>
    public TaskCompletionSource? ReadGate { get; set; }

    /// <summary>When set, a write waits here after taking the value's text and before keeping it.</summary>
    public TaskCompletionSource? WriteGate { get; set; }

    private readonly List<(int Count, TaskCompletionSource Signal)> _writeWaiters = new();

    /// <summary>Completes once <paramref name="count"/> writes have begun.</summary>
    public Task WhenWrites(int count)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_writeWaiters)
        {
            if (Writes >= count) signal.SetResult();
            else _writeWaiters.Add((count, signal));
        }
        return signal.Task;
    }

    public TaskCompletionSource ReadEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource WriteEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Puts text under a name, as another process (or an attacker with write access) would.</summary>
    public void Put(string name, string text) => _entries[name] = StoredEntry.OfText(SecretText.ToSecureString(text));

    public void Put(string name, StoredEntry entry) => _entries[name] = entry;

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The text under a name, or null.</summary>
    public string? TextOf(string name) =>
        _entries.TryGetValue(name, out var entry) && entry.Text is { } text ? SecretText.Use(text, t => t) : null;

    public async Task<StoredEntry?> ReadAsync(string name, TimeSpan budget, IPipelineDispatcher dispatcher, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        ReadEntered.TrySetResult();
        if (ReadGate is { } gate) await gate.Task.WaitAsync(cancellationToken);
        if (HangOnRead)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SawCancellation = true;
                throw;
            }
        }
        if (ThrowOnRead) throw new ITwinAuthException(ITwinErrorIds.VaultLocked, ITwinErrorCategory.SecurityError, $"The vault '{Id}' is locked.");
        return _entries.TryGetValue(name, out var entry) ? entry : null;
    }

    public async Task WriteAsync(string name, SecureString value, IReadOnlyDictionary<string, string> metadata, TimeSpan budget,
        IPipelineDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var writes = Interlocked.Increment(ref _writes);
        lock (_writeWaiters)
            foreach (var waiter in _writeWaiters.Where(w => w.Count <= writes).ToList())
            {
                waiter.Signal.SetResult();
                _writeWaiters.Remove(waiter);
            }
        // The cache disposes the value once the write returns: it is read now, before any wait.
        var text = SecretText.Use(value, t => t);
        WriteEntered.TrySetResult();
        if (WriteGate is { } gate) await gate.Task.WaitAsync(cancellationToken);
        if (ThrowOnWrite) throw new ITwinAuthException(ITwinErrorIds.VaultLocked, ITwinErrorCategory.SecurityError, $"The vault '{Id}' is read-only.");
        _written.Enqueue(new Written(name, text, new Dictionary<string, string>(metadata)));
        _entries[name] = StoredEntry.OfText(SecretText.ToSecureString(text));
    }

    public Task<bool> RemoveAsync(string name, TimeSpan budget, IPipelineDispatcher dispatcher, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _removes);
        RemovedNames.Enqueue(name);
        if (ThrowOnRemove) throw new ITwinAuthException(ITwinErrorIds.VaultLocked, ITwinErrorCategory.SecurityError, $"The vault '{Id}' is locked.");
        return Task.FromResult(_entries.TryRemove(name, out _));
    }

    public sealed record Written(string Name, string Text, IReadOnlyDictionary<string, string> Metadata)
    {
        /// <summary>The token the written entry holds.</summary>
        public string Token
        {
            get
            {
                using var document = JsonDocument.Parse(Text);
                return document.RootElement.GetProperty("token").GetString()!;
            }
        }
    }
}

/// <summary>A folder of the test's own, deleted with everything in it.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "itwinauth-shared-" + Guid.NewGuid().ToString("N")));

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A log that records like <see cref="RecordingLog"/> and lets a test wait for a line (an event, never a time).</summary>
public sealed class SignallingLog : ILogSink
{
    private readonly List<string> _lines = new();
    private readonly List<(Func<IReadOnlyList<string>, bool> Condition, TaskCompletionSource Signal)> _waiters = new();

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }
    public bool ShowsVerbose => true;
    public bool ShowsDebug => true;
    public void Verbose(string message) => Add("VERBOSE: " + message);
    public void Debug(string message) => Add("DEBUG: " + message);
    public void Warning(string message) => Add("WARNING: " + message);

    /// <summary>Completes once the lines so far satisfy <paramref name="condition"/>.</summary>
    public Task When(Func<IReadOnlyList<string>, bool> condition)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (condition(_lines)) signal.SetResult();
            else _waiters.Add((condition, signal));
        }
        return signal.Task;
    }

    public Task WhenLine(string contains, int count = 1) => When(lines => lines.Count(l => l.Contains(contains, StringComparison.Ordinal)) >= count);

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Condition(_lines)) continue;
                _waiters[i].Signal.SetResult();
                _waiters.RemoveAt(i);
            }
        }
    }
}

public static class SharedKit
{
    /// <summary>A generous bound for something that should happen at once or after a short wait; a hang fails instead of blocking the run.</summary>
    public static readonly TimeSpan HangBound = TimeSpan.FromSeconds(60);

    public static async Task<T> Within<T>(this Task<T> task, TimeSpan bound, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(bound)) != task) Assert.Fail($"{what} did not finish within {bound.TotalSeconds:0} s.");
        return await task;
    }

    public static async Task Within(this Task task, TimeSpan bound, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(bound)) != task) Assert.Fail($"{what} did not finish within {bound.TotalSeconds:0} s.");
        await task;
    }

    public static string Plain(ITwinAccessToken token) => SecretText.Use(token.SecureToken, t => t);

    public static string Base64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>An unsigned JWT with the given payload (the entry's checks read claims, never signatures).</summary>
    public static string Jwt(object payload) =>
        Base64Url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + Base64Url(JsonSerializer.Serialize(payload)) + ".c2lnbmF0dXJl";

    /// <summary>A token as TokenClient makes one: issued now by <paramref name="clock"/>, for <paramref name="key"/>.</summary>
    public static ITwinAccessToken Token(string text, TokenCacheKey key, Clock clock, TimeSpan? lifetime = null, TimeSpan? age = null, Uri? authority = null)
    {
        var life = lifetime ?? TimeSpan.FromHours(1);
        var issuedOn = clock.UtcNow - (age ?? TimeSpan.Zero);
        var started = clock.After(clock.Now, -(age ?? TimeSpan.Zero));
        return new ITwinAccessToken(SecretText.ToSecureString(text), "Bearer", life, issuedOn,
            clock.After(started, life - TokenClient.ExpirySlack(life)), TokenCacheKey.NormalizeScopes(new[] { key.Scopes }), key.ClientId,
            authority ?? new Uri(key.Authority), key, fromCache: false, clock);
    }
}
