using System.Text.Json;
using ITwinAuth.Emulator;
using Xunit;

namespace ITwinAuth.Core.Tests.Sharing;

/// <summary>
/// The shared cache as a connection uses it (ConnectionTokenSource.AcquireAsync: in-memory cache, then the
/// store, then the authority), with two contexts standing for two processes that share one store and one
/// lock folder. Token requests are counted at the emulator.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class SharedConnectionTests(EmulatorFixture emulator) : IDisposable
{
    private readonly TempFolder _locks = new();
    private readonly List<ClientContext> _contexts = new();

    public void Dispose()
    {
        foreach (var context in _contexts) context.Dispose();
        _locks.Dispose();
    }

    /// <summary>A "process": a context of its own, with this test's lock folder (or another) and clock.</summary>
    private ClientContext Process(Clock? clock = null, string? lockFolder = null)
    {
        var context = new ClientContext(clock, lockFolder: lockFolder ?? _locks.Path);
        _contexts.Add(context);
        return context;
    }

    private ServiceConnection Connect(RegisteredApp app, ISharedTokenStore store) =>
        new(app.ClientId, emulator.Host.Authority, emulator.Host.ApiBaseUri, TokenClient.ValidateScopes(null),
            new StaticCredentialSource(app.ClientId, SecretText.ToSecureString(app.ClientSecret), CredentialSourceKind.Direct), null, null)
        {
            SharedStore = store,
        };

    private static Task<ITwinAccessToken> Acquire(ClientContext context, ServiceConnection connection, ILogSink log, bool force = false) =>
        ConnectionTokenSource.AcquireAsync(context, connection, InlineDispatcher.Instance, force, log, default);

    private int TokenRequests => emulator.Stats.TokenRequests;

    private static void AssertLogHoldsNo(IEnumerable<string> lines, string secret, params string[] tokens)
    {
        foreach (var line in lines)
        {
            Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
            foreach (var token in tokens) Assert.DoesNotContain(token, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_first_process_requests_and_the_second_reads_its_token_from_the_store()
    {
        var app = emulator.Register();
        var store = new FakeSharedStore();
        var (logA, logB) = (new RecordingLog(), new RecordingLog());
        var before = TokenRequests;

        var first = await Acquire(Process(), Connect(app, store), logA);
        Assert.Equal(before + 1, TokenRequests);
        Assert.False(first.FromSharedCache);
        Assert.Equal(1, store.Writes);

        var second = await Acquire(Process(), Connect(app, store), logB);
        Assert.Equal(before + 1, TokenRequests);
        Assert.True(second.FromSharedCache);
        Assert.False(second.FromCache);
        Assert.Equal(SharedKit.Plain(first), SharedKit.Plain(second));
        // The JWT's exp (whole seconds) wins over the entry's expiry when it is earlier.
        Assert.InRange(second.ExpiresOn, first.ExpiresOn - TimeSpan.FromSeconds(2), first.ExpiresOn);
        Assert.Equal(1, store.Writes);
        AssertLogHoldsNo(logA.Lines.Concat(logB.Lines), app.ClientSecret, SharedKit.Plain(first));
    }

    [Fact]
    public async Task A_fresh_token_in_memory_is_used_without_reading_the_store()
    {
        var app = emulator.Register();
        var store = new FakeSharedStore();
        var context = Process();
        var connection = Connect(app, store);
        await Acquire(context, connection, NullLogSink.Instance);
        Assert.Equal(2, store.Reads);      // before the lock, and once with it (another may have written since)

        var again = await Acquire(context, connection, NullLogSink.Instance);
        var viaSource = await new ConnectionTokenSource(context, connection, InlineDispatcher.Instance, NullLogSink.Instance).GetTokenAsync(false, default);

        Assert.True(again.FromCache);
        Assert.True(viaSource.FromCache);
        Assert.Equal(2, store.Reads);
        Assert.Equal(1, store.Writes);
    }

    [Fact]
    public async Task Eight_concurrent_callers_in_one_process_make_one_renewal_through_the_store()
    {
        var app = emulator.Register();
        var store = new FakeSharedStore { ReadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var context = Process();
        var connection = Connect(app, store);
        var log = new SignallingLog();
        var before = TokenRequests;

        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(() => Acquire(context, connection, log))).ToArray();
        // Every caller is in before the read answers: one started it, seven joined it.
        await store.ReadEntered.Task.Within(SharedKit.HangBound, "The first read");
        await log.WhenLine("Joining the token request already under way", 7).Within(SharedKit.HangBound, "Seven callers joining");
        store.ReadGate.SetResult();
        var tokens = await Task.WhenAll(callers).Within(SharedKit.HangBound, "The eight callers");

        Assert.Equal(2, store.Reads);      // one renewal for the eight: before the lock, and once with it
        Assert.Equal(1, store.Writes);
        Assert.Equal(before + 1, TokenRequests);
        Assert.Single(tokens.Select(SharedKit.Plain).Distinct());
    }

    [Fact]
    public async Task Two_processes_racing_on_an_empty_store_make_one_token_request()
    {
        var app = emulator.Register();
        // A's write waits at the gate while A holds the renewal lock: B finds nothing, and must wait for A.
        var store = new FakeSharedStore { WriteGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var (a, b) = (Process(), Process());
        var (logA, logB) = (new RecordingLog(), new SignallingLog());
        var before = TokenRequests;

        var first = Task.Run(() => Acquire(a, Connect(app, store), logA));
        await store.WriteEntered.Task.Within(SharedKit.HangBound, "A's write");
        var second = Task.Run(() => Acquire(b, Connect(app, store), logB));
        await logB.WhenLine("Another process is renewing this token").Within(SharedKit.HangBound, "B waiting for A's lock");
        Assert.False(second.IsCompleted);
        store.WriteGate.SetResult();

        var tokenA = await first.Within(SharedKit.HangBound, "A");
        var tokenB = await second.Within(SharedKit.HangBound, "B");

        Assert.Equal(before + 1, TokenRequests);
        Assert.False(tokenA.FromSharedCache);
        Assert.True(tokenB.FromSharedCache);
        Assert.Equal(SharedKit.Plain(tokenA), SharedKit.Plain(tokenB));
        Assert.Equal(4, store.Reads);      // A and B each before the lock and again with it
        // B's next call is answered from memory, and still says where the token came from.
        var again = await Acquire(b, Connect(app, store), logB).Within(SharedKit.HangBound, "B again");
        Assert.True(again.FromCache);
        Assert.True(again.FromSharedCache);
        Assert.Equal(4, store.Reads);
        Assert.Equal(1, store.Writes);
        Assert.Contains(logB.Lines, l => l.Contains("Took the renewal lock", StringComparison.Ordinal));
        AssertLogHoldsNo(logA.Lines.Concat(logB.Lines), app.ClientSecret, SharedKit.Plain(tokenA));
    }

    [Fact]
    public async Task Two_processes_that_do_not_share_a_lock_folder_both_request()
    {
        // The same race as above, without a common lock: what the lock saves.
        var app = emulator.Register();
        var store = new FakeSharedStore { WriteGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var elsewhere = new TempFolder();
        var (a, b) = (Process(), Process(lockFolder: elsewhere.Path));
        var before = TokenRequests;

        var first = Task.Run(() => Acquire(a, Connect(app, store), NullLogSink.Instance));
        await store.WriteEntered.Task.Within(SharedKit.HangBound, "A's write");
        var second = Task.Run(() => Acquire(b, Connect(app, store), NullLogSink.Instance));
        // B does not wait for A's lock: it requests and reaches the gate too.
        await store.WhenWrites(2).Within(SharedKit.HangBound, "B's write");
        store.WriteGate.SetResult();
        await first.Within(SharedKit.HangBound, "A");
        var tokenB = await second.Within(SharedKit.HangBound, "B");

        Assert.Equal(before + 2, TokenRequests);
        Assert.False(tokenB.FromSharedCache);
    }

    [Fact]
    public async Task An_entry_within_the_margin_by_this_process_clock_is_renewed_and_replaced()
    {
        var app = emulator.Register();
        var store = new FakeSharedStore();
        using var time = new FakeTime();
        var before = TokenRequests;
        var first = await Acquire(Process(), Connect(app, store), NullLogSink.Instance);

        // Another process, 56 minutes later by its clock: the hour's token has less than its 5-minute margin left.
        var later = Process(time);
        time.Advance(TimeSpan.FromMinutes(56));
        var log = new RecordingLog();
        var renewed = await Acquire(later, Connect(app, store), log);

        Assert.Equal(before + 2, TokenRequests);
        Assert.False(renewed.FromSharedCache);
        Assert.NotEqual(SharedKit.Plain(first), SharedKit.Plain(renewed));
        Assert.Equal(2, store.Writes);
        Assert.Equal(SharedKit.Plain(renewed), store.WrittenValues[1].Token);
        Assert.Contains(log.Lines, l => l.Contains("within the refresh margin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_the_API_rejected_is_not_taken_from_the_store_again()
    {
        var app = emulator.Register();
        var store = new FakeSharedStore();
        var context = Process();
        var connection = Connect(app, store);
        var source = new ConnectionTokenSource(context, connection, InlineDispatcher.Instance, NullLogSink.Instance);
        // Another process shared a token; this one reads it, and the API says 401.
        var shared = await Acquire(Process(), Connect(app, store), NullLogSink.Instance);
        var read = await source.GetTokenAsync(false, default);
        Assert.True(read.FromSharedCache);
        var before = TokenRequests;

        source.Rejected(read);
        var renewed = await source.GetTokenAsync(false, default);

        Assert.Equal(before + 1, TokenRequests);
        Assert.NotEqual(SharedKit.Plain(shared), SharedKit.Plain(renewed));
        Assert.Equal(SharedKit.Plain(renewed), store.WrittenValues.Last().Token);
    }

    [Fact]
    public async Task A_long_token_the_authority_issues_is_returned_even_though_it_cannot_be_shared()
    {
        // An access token of 65,500 characters is within what TokenClient accepts (65,536); its entry (the
        // token and some 170 characters more) is not within what a SecureString holds (65,536). The token
        // must still reach the caller.
        var app = emulator.Register();
        var store = new FakeSharedStore();
        var text = new string('L', 65500);
        emulator.Arm(new FaultRule
        {
            Path = "/connect/token", Status = 200, Times = 1, ContentType = "application/json",
            Body = JsonSerializer.Serialize(new { access_token = text, token_type = "Bearer", expires_in = 3600, scope = "itwin-platform" }),
        });

        ITwinAccessToken? token = null;
        var thrown = await Record.ExceptionAsync(async () => token = await Acquire(Process(), Connect(app, store), NullLogSink.Instance));

        Assert.Null(thrown);
        Assert.Equal(text, SharedKit.Plain(token!));
    }
}
