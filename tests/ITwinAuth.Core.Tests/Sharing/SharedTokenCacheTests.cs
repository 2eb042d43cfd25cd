using ITwinAuth.Emulator;
using Xunit;

namespace ITwinAuth.Core.Tests.Sharing;

/// <summary>
/// SharedTokenCache over an in-memory store: when the shared entry is used, when the authority is asked
/// (counted at the emulator), and that a store which fails, throws or hangs costs one warning and never the token.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class SharedTokenCacheTests(EmulatorFixture emulator) : IDisposable
{
    private readonly TempFolder _locks = new();
    private readonly List<ClientContext> _contexts = new();

    public void Dispose()
    {
        foreach (var context in _contexts) context.Dispose();
        _locks.Dispose();
    }

    /// <summary>One "process": its own context (and lock folder, this test's), an app at the emulator, a store.</summary>
    private sealed class Rig
    {
        public required ClientContext Context { get; init; }
        public required FakeSharedStore Store { get; init; }
        public required RegisteredApp App { get; init; }
        public required Uri Authority { get; init; }
        public required string[] Scopes { get; init; }
        public required ServiceCredential Credential { get; init; }
        public required TokenCacheKey Key { get; init; }
        public required string Name { get; init; }
        public RecordingLog Log { get; } = new();

        public Task<ITwinAccessToken> GetAsync(bool force = false, FakeSharedStore? store = null) =>
            Context.SharedTokens.GetOrRequestAsync(
                new SharedTokenRequest(store ?? Store, Name, Key, Authority, null, force, InlineDispatcher.Instance, Log, default),
                () => TokenClient.RequestAsync(Context, Authority, Credential, Scopes, Key, Log, CancellationToken.None));

        /// <summary>A usable entry, as another process would have written it.</summary>
        public string Seed(string text, FakeSharedStore? store = null)
        {
            using var value = SharedTokenEntry.Encode(SharedKit.Token(text, Key, Context.Clock, authority: Authority), Name);
            (store ?? Store).Put(Name, StoredEntry.OfText(value.Copy()));
            return text;
        }

        public IEnumerable<string> Warnings => Log.Lines.Where(l => l.StartsWith("WARNING:", StringComparison.Ordinal));

        /// <summary>Neither the secret nor any of <paramref name="tokens"/> is in a line of the log.</summary>
        public void AssertLogHoldsNo(params string[] tokens)
        {
            Assert.NotEmpty(Log.Lines);
            foreach (var line in Log.Lines)
            {
                Assert.DoesNotContain(App.ClientSecret, line, StringComparison.Ordinal);
                foreach (var token in tokens) Assert.DoesNotContain(token, line, StringComparison.Ordinal);
            }
        }
    }

    private Rig NewRig(FakeSharedStore? store = null)
    {
        var context = new ClientContext(lockFolder: _locks.Path);
        _contexts.Add(context);
        var app = emulator.Register();
        var credential = new ServiceCredential(app.ClientId, SecretText.ToSecureString(app.ClientSecret));
        var scopes = TokenClient.ValidateScopes(null);
        var key = context.Tokens.KeyFor(emulator.Host.Authority, credential, scopes);
        return new Rig
        {
            Context = context,
            Store = store ?? new FakeSharedStore(),
            App = app,
            Authority = emulator.Host.Authority,
            Scopes = scopes,
            Credential = credential,
            Key = key,
            Name = SharedTokenEntry.NameFor(key, credential.Secret),
        };
    }

    private int TokenRequests => emulator.Stats.TokenRequests;

    [Fact]
    public async Task A_usable_entry_is_used_without_a_token_request()
    {
        var rig = NewRig();
        var seeded = rig.Seed("seeded-by-another-process-4d2b7c");
        var before = TokenRequests;

        var token = await rig.GetAsync();

        Assert.Equal(before, TokenRequests);
        Assert.Equal(seeded, SharedKit.Plain(token));
        Assert.True(token.FromSharedCache);
        Assert.Equal(1, rig.Store.Reads);
        Assert.Equal(0, rig.Store.Writes);
        rig.AssertLogHoldsNo(seeded);
    }

    [Fact]
    public async Task A_missing_entry_means_one_token_request_and_one_valid_entry_written()
    {
        var rig = NewRig();
        var before = TokenRequests;

        var token = await rig.GetAsync();

        Assert.Equal(before + 1, TokenRequests);
        Assert.False(token.FromSharedCache);
        var written = Assert.Single(rig.Store.WrittenValues);
        Assert.Equal(rig.Name, written.Name);
        Assert.Equal(SharedKit.Plain(token), written.Token);
        Assert.Equal(rig.App.ClientId, written.Metadata["ClientId"]);
        Assert.All(written.Metadata.Values, v => Assert.DoesNotContain(written.Token, v, StringComparison.Ordinal));
        // What was written is an entry another process accepts.
        var other = new TokenCache(Clock.System).KeyFor(rig.Authority, rig.Credential, rig.Scopes);
        var read = SharedTokenEntry.Read(StoredEntry.OfText(SecretText.ToSecureString(written.Text)), rig.Name, other, rig.Authority, null, Clock.System, out var reason);
        Assert.True(read is not null, reason);
        Assert.Equal(written.Token, SharedKit.Plain(read!));
        rig.AssertLogHoldsNo(written.Token);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("not-text")]
    [InlineData("another-name")]
    [InlineData("expired")]
    [InlineData("within-margin")]
    [InlineData("another-client")]
    public async Task A_bad_entry_means_one_token_request_and_a_valid_entry_in_its_place(string kind)
    {
        var rig = NewRig();
        const string planted = "planted-token-91ae";
        var other = SharedTokenEntry.NameFor(rig.Key, SecretText.ToSecureString("another-secret"));
        StoredEntry Entry(TimeSpan left, string name, string token = planted) =>
            StoredEntry.OfText(SecretText.ToSecureString(
                $"{{\"v\":1,\"name\":\"{name}\",\"expiresOn\":\"{(DateTimeOffset.UtcNow + left).UtcDateTime:O}\",\"lifetime\":3600,\"scope\":\"itwin-platform\",\"token\":\"{token}\"}}"));
        rig.Store.Put(rig.Name, kind switch
        {
            "garbage" => StoredEntry.OfText(SecretText.ToSecureString("{not json")),
            "not-text" => StoredEntry.OfOther("a PSCredential"),
            "another-name" => Entry(TimeSpan.FromMinutes(50), other),
            "expired" => Entry(TimeSpan.FromMinutes(-1), rig.Name),
            "within-margin" => Entry(TimeSpan.FromMinutes(2), rig.Name),
            "another-client" => Entry(TimeSpan.FromMinutes(50), rig.Name,
                SharedKit.Jwt(new { client_id = "someone-else", exp = DateTimeOffset.UtcNow.AddMinutes(50).ToUnixTimeSeconds() })),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        });
        var before = TokenRequests;

        var token = await rig.GetAsync();

        Assert.Equal(before + 1, TokenRequests);
        Assert.False(token.FromSharedCache);
        Assert.Equal(SharedKit.Plain(token), Assert.Single(rig.Store.WrittenValues).Token);
        Assert.Equal(SharedKit.Plain(token), rig.Store.WrittenValues[0].Token);
        Assert.Contains(rig.Log.Lines, l => l.Contains("is not used:", StringComparison.Ordinal));
        Assert.Empty(rig.Warnings);
        rig.AssertLogHoldsNo(planted, SharedKit.Plain(token));
    }

    [Fact]
    public async Task A_store_that_throws_on_read_costs_one_warning_and_never_the_token()
    {
        var rig = NewRig(new FakeSharedStore("locked-vault") { ThrowOnRead = true });
        var before = TokenRequests;
        var tokens = new List<ITwinAccessToken>();
        for (var i = 0; i < 3; i++) tokens.Add(await rig.GetAsync());

        Assert.Equal(before + 3, TokenRequests);
        Assert.All(tokens, t => Assert.False(string.IsNullOrEmpty(SharedKit.Plain(t))));
        var warning = Assert.Single(rig.Warnings);
        Assert.Contains("could not be read", warning, StringComparison.Ordinal);
        Assert.Contains("locked-vault", warning, StringComparison.Ordinal);
        // After the warning, the same failure is a verbose line.
        var index = rig.Log.Lines.ToList().IndexOf(warning);
        Assert.Equal(2, rig.Log.Lines.Skip(index + 1).Count(l => l.StartsWith("VERBOSE:") && l.Contains("could not be read")));
        // A store that cannot be read passes no token on: no process waits for another.
        Assert.DoesNotContain(rig.Log.Lines, l => l.Contains("renewal lock", StringComparison.Ordinal));
        rig.AssertLogHoldsNo(tokens.Select(SharedKit.Plain).ToArray());

        // Another store is warned about on its own.
        await rig.GetAsync(store: new FakeSharedStore("another-vault") { ThrowOnRead = true });
        Assert.Equal(2, rig.Warnings.Count());
        Assert.Contains("another-vault", rig.Warnings.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_throws_on_write_costs_one_warning_and_never_the_token()
    {
        var rig = NewRig(new FakeSharedStore { ThrowOnWrite = true });
        var before = TokenRequests;
        var first = await rig.GetAsync();
        var second = await rig.GetAsync();

        Assert.Equal(before + 2, TokenRequests);
        Assert.Equal(2, rig.Store.Writes);
        var warning = Assert.Single(rig.Warnings);
        Assert.Contains("could not be written", warning, StringComparison.Ordinal);
        Assert.Contains(rig.Log.Lines, l => l.StartsWith("VERBOSE:") && l.Contains("could not be written"));
        rig.AssertLogHoldsNo(SharedKit.Plain(first), SharedKit.Plain(second));
    }

    [Fact]
    public async Task A_store_failing_on_read_and_write_is_still_one_warning()
    {
        var rig = NewRig(new FakeSharedStore { ThrowOnRead = true, ThrowOnWrite = true });
        await rig.GetAsync();
        await rig.GetAsync();
        Assert.Single(rig.Warnings);
        Assert.Equal(2, rig.Store.Writes);
    }

    [Fact]
    public async Task A_store_that_hangs_on_read_is_given_up_within_the_budget()
    {
        var rig = NewRig(new FakeSharedStore { HangOnRead = true });
        var before = TokenRequests;

        // Real time: the budget cancels on the wall clock (it waits for other processes, not for this one's clock).
        var token = await rig.GetAsync().Within(SharedTokenCache.Budget + SharedKit.HangBound, "A read that never answers");

        Assert.True(rig.Store.SawCancellation, "The hanging read was never cancelled.");
        Assert.False(string.IsNullOrEmpty(SharedKit.Plain(token)));
        Assert.Equal(before + 1, TokenRequests);
        var warning = Assert.Single(rig.Warnings);
        Assert.Contains("did not answer in time", warning, StringComparison.Ordinal);
        // The new token is still shared: the write has its own budget.
        Assert.Equal(SharedKit.Plain(token), Assert.Single(rig.Store.WrittenValues).Token);
    }

    [Fact]
    public async Task Force_skips_the_read_and_writes_the_new_token()
    {
        var rig = NewRig();
        var seeded = rig.Seed("seeded-but-forced-past-5e1f");
        var before = TokenRequests;

        var token = await rig.GetAsync(force: true);

        Assert.Equal(0, rig.Store.Reads);
        Assert.Equal(before + 1, TokenRequests);
        Assert.NotEqual(seeded, SharedKit.Plain(token));
        Assert.False(token.FromSharedCache);
        Assert.Equal(SharedKit.Plain(token), Assert.Single(rig.Store.WrittenValues).Token);
        Assert.Equal(SharedKit.Plain(token), rig.Store.WrittenValues[0].Token);
        rig.AssertLogHoldsNo(seeded, SharedKit.Plain(token));
    }

    [Fact]
    public async Task A_rejected_token_in_the_entry_is_not_used_again()
    {
        var rig = NewRig();
        var seeded = rig.Seed("seeded-then-rejected-by-the-api-0c8d");
        var before = TokenRequests;
        var first = await rig.GetAsync();
        Assert.Equal(seeded, SharedKit.Plain(first));
        Assert.Equal(before, TokenRequests);

        rig.Context.SharedTokens.Reject(first);
        var second = await rig.GetAsync();

        Assert.Equal(before + 1, TokenRequests);
        Assert.NotEqual(seeded, SharedKit.Plain(second));
        Assert.False(second.FromSharedCache);
        Assert.Equal(SharedKit.Plain(second), Assert.Single(rig.Store.WrittenValues).Token);
        Assert.Contains(rig.Log.Lines, l => l.Contains("rejected", StringComparison.Ordinal));
        rig.AssertLogHoldsNo(seeded, SharedKit.Plain(second));

        // The new entry is used: only the rejected token is refused.
        var third = await rig.GetAsync();
        Assert.Equal(before + 1, TokenRequests);
        Assert.Equal(SharedKit.Plain(second), SharedKit.Plain(third));
    }

    [Fact]
    public async Task A_token_too_long_to_share_is_still_returned()
    {
        // TokenClient accepts an access token of up to 65,536 characters; its shared entry (the token and
        // the rest of the object) is longer than a SecureString can hold. Sharing it may fail, the sign-in may not.
        var rig = NewRig();
        var text = new string('t', TokenClient.MaximumTokenLength - 100);
        var issued = SharedKit.Token(text, rig.Key, rig.Context.Clock, authority: rig.Authority);
        var request = new SharedTokenRequest(rig.Store, rig.Name, rig.Key, rig.Authority, null, false, InlineDispatcher.Instance, rig.Log, default);

        ITwinAccessToken? token = null;
        var thrown = await Record.ExceptionAsync(async () => token = await rig.Context.SharedTokens.GetOrRequestAsync(request, () => Task.FromResult(issued)));

        Assert.Null(thrown);
        Assert.Equal(text, SharedKit.Plain(token!));
    }

    // ---- RemoveAsync: the entries this process used, by filter ----------------------------------

    /// <summary>Uses (and so records) a seeded entry for an app of no emulator: the authority is never asked.</summary>
    private static async Task<(TokenCacheKey Key, string Name)> UseSeeded(ClientContext context, FakeSharedStore store, string clientId, ILogSink log)
    {
        var authority = new Uri("https://ims.example.test/");
        var credential = new ServiceCredential(clientId, SecretText.ToSecureString("secret-of-" + clientId));
        var key = context.Tokens.KeyFor(authority, credential, new[] { "itwin-platform" });
        var name = SharedTokenEntry.NameFor(key, credential.Secret);
        using (var value = SharedTokenEntry.Encode(SharedKit.Token("token-of-" + clientId, key, context.Clock, authority: authority), name))
            store.Put(name, StoredEntry.OfText(value.Copy()));
        var token = await context.SharedTokens.GetOrRequestAsync(
            new SharedTokenRequest(store, name, key, authority, null, false, InlineDispatcher.Instance, log, default),
            () => throw new InvalidOperationException("The authority is not asked for a usable shared entry."));
        Assert.True(token.FromSharedCache);
        return (key, name);
    }

    [Fact]
    public async Task RemoveAsync_removes_only_the_used_entries_the_filter_matches()
    {
        var context = new ClientContext(lockFolder: _locks.Path);
        _contexts.Add(context);
        var store = new FakeSharedStore();
        var log = new RecordingLog();
        var a = await UseSeeded(context, store, "app-a", log);
        var b = await UseSeeded(context, store, "app-b", log);
        // An entry this process never used is never removed.
        store.Put("ITwinAuthToken-00000000000000000000000000000000", "someone else's");

        var removed = await context.SharedTokens.RemoveAsync(k => k.ClientId == "app-a", InlineDispatcher.Instance, log, default);

        Assert.Equal(1, removed);
        Assert.Equal(new[] { a.Name }, store.RemovedNames);
        Assert.False(store.Contains(a.Name));
        Assert.True(store.Contains(b.Name));

        // The rest, without a filter; app-a's entry, already removed, is not asked for again.
        Assert.Equal(1, await context.SharedTokens.RemoveAsync(null, InlineDispatcher.Instance, log, default));
        Assert.Equal(new[] { a.Name, b.Name }, store.RemovedNames);
        Assert.True(store.Contains("ITwinAuthToken-00000000000000000000000000000000"));
        Assert.DoesNotContain(log.Lines, l => l.StartsWith("WARNING:"));
    }

    [Fact]
    public async Task RemoveAsync_counts_only_entries_that_were_there()
    {
        var context = new ClientContext(lockFolder: _locks.Path);
        _contexts.Add(context);
        var store = new FakeSharedStore();
        var log = new RecordingLog();
        var a = await UseSeeded(context, store, "app-gone", log);
        await store.RemoveAsync(a.Name, TimeSpan.FromSeconds(1), InlineDispatcher.Instance, default);   // another process removed it

        Assert.Equal(0, await context.SharedTokens.RemoveAsync(null, InlineDispatcher.Instance, log, default));
        Assert.Equal(2, store.Removes);
    }

    [Fact]
    public async Task RemoveAsync_warns_about_a_failing_store_and_still_removes_from_the_others()
    {
        var context = new ClientContext(lockFolder: _locks.Path);
        _contexts.Add(context);
        var failing = new FakeSharedStore("locked-vault");
        var working = new FakeSharedStore("open-vault");
        var log = new RecordingLog();
        var a = await UseSeeded(context, failing, "app-in-locked", log);
        var b = await UseSeeded(context, working, "app-in-open", log);
        failing.ThrowOnRemove = true;

        var removed = -1;
        Assert.Null(await Record.ExceptionAsync(async () => removed = await context.SharedTokens.RemoveAsync(null, InlineDispatcher.Instance, log, default)));

        Assert.Equal(1, removed);
        Assert.False(working.Contains(b.Name));
        Assert.True(failing.Contains(a.Name));
        var warning = Assert.Single(log.Lines, l => l.StartsWith("WARNING:"));
        Assert.Contains("could not be removed", warning, StringComparison.Ordinal);
        Assert.Contains(a.Name, warning, StringComparison.Ordinal);
        Assert.DoesNotContain("token-of-", string.Join("\n", log.Lines), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-of-", string.Join("\n", log.Lines), StringComparison.Ordinal);
    }
}
