using System.Text;
using ITwinAuth.Emulator;
using Xunit;

namespace ITwinAuth.Core.Tests;

[Collection(EmulatorCollection.Name)]
public sealed class CacheTests(EmulatorFixture emulator)
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    /// <summary>This test's engine on a clock that moves only when the module waits.</summary>
    private FakeTime UseFakeTime()
    {
        var time = new FakeTime();
        Context = new ClientContext(time);
        return time;
    }

    [Fact]
    public async Task Fifty_concurrent_callers_on_a_cold_cache_make_one_token_request()
    {
        var app = emulator.Register();
        var before = emulator.Stats.TokensIssued;
        var start = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await ConnectionTokenSource.AcquireAsync(Context, emulator.Connect(app), InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        })).ToArray();
        start.Set();
        var tokens = await Task.WhenAll(callers);

        Assert.Equal(1, emulator.Stats.TokensIssued - before);
        Assert.Single(tokens.Select(t => t.ExpiresAtTimestamp).Distinct());
    }

    [Fact]
    public async Task A_fresh_token_comes_from_the_cache_without_a_request()
    {
        var app = emulator.Register();
        var connection = emulator.Connect(app);
        var first = await ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        var before = emulator.Stats.TokenRequests;
        var second = await ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, false, NullLogSink.Instance, default);

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(before, emulator.Stats.TokenRequests);
    }

    [Fact]
    public async Task Force_always_requests_a_new_token()
    {
        var app = emulator.Register();
        var connection = emulator.Connect(app);
        await ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        var before = emulator.Stats.TokensIssued;
        var forced = await ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, true, NullLogSink.Instance, default);
        Assert.False(forced.FromCache);
        Assert.Equal(before + 1, emulator.Stats.TokensIssued);
    }

    [Fact]
    public async Task A_token_inside_its_refresh_margin_is_renewed()
    {
        using var time = UseFakeTime();
        // A 3 s lifetime: the margin is a tenth (0.3 s); past lifetime minus margin the token is renewed.
        var app = emulator.Register(lifetime: 3);
        var connection = emulator.Connect(app);
        var first = await ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        time.Advance(first.ExpiresIn - TokenCache.MarginFor(first.Lifetime, null) - TimeSpan.FromMilliseconds(50));
        Assert.True((await ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, false, NullLogSink.Instance, default)).FromCache);
        time.Advance(TimeSpan.FromMilliseconds(100));
        var before = emulator.Stats.TokensIssued;
        var second = await ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        Assert.False(second.FromCache);
        Assert.Equal(before + 1, emulator.Stats.TokensIssued);
    }

    [Theory]
    [InlineData(3600, 300)]
    [InlineData(600, 60)]
    [InlineData(10, 1)]
    public void Margin_is_five_minutes_or_a_tenth_of_short_lifetimes(int lifetime, int margin) =>
        Assert.Equal(TimeSpan.FromSeconds(margin), TokenCache.MarginFor(TimeSpan.FromSeconds(lifetime), null));

    [Fact]
    public async Task A_rotated_secret_never_reuses_the_old_token()
    {
        var app = emulator.Register("first-secret");
        var old = await ConnectionTokenSource.AcquireAsync(Context, emulator.Connect(app), InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        app.ClientSecret = "second-secret";
        var before = emulator.Stats.TokensIssued;
        var renewed = await ConnectionTokenSource.AcquireAsync(Context, emulator.Connect(app), InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        Assert.False(renewed.FromCache);
        Assert.Equal(before + 1, emulator.Stats.TokensIssued);
        Assert.NotEqual(old.Key, renewed.Key);
    }

    [Fact]
    public async Task A_failed_request_reaches_every_waiter_and_is_not_cached()
    {
        var app = emulator.Register();
        emulator.Arm(new FaultRule { Path = "/connect/token", Status = 400, Body = "{\"error\":\"invalid_request\"}", Times = 1, DelayMs = 200 });
        var callers = Enumerable.Range(0, 5).Select(_ => ConnectionTokenSource.AcquireAsync(Context, 
            emulator.Connect(app), InlineDispatcher.Instance, false, NullLogSink.Instance, default)).ToArray();
        foreach (var caller in callers)
            Assert.Equal(ITwinErrorIds.InvalidTokenRequest, (await Assert.ThrowsAsync<ITwinApiException>(() => caller)).ErrorId);

        var token = await ConnectionTokenSource.AcquireAsync(Context, emulator.Connect(app), InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        Assert.False(token.FromCache);
    }

    [Fact]
    public void Cache_keys_ignore_scope_order_and_differ_by_secret()
    {
        var authority = new Uri("https://ims.example/");
        var a = Context.Tokens.KeyFor(authority, new ServiceCredential("c", SecretText.ToSecureString("s1")), TokenClient.ValidateScopes(new[] { "b a" }));
        var b = Context.Tokens.KeyFor(new Uri("https://IMS.example"), new ServiceCredential("c", SecretText.ToSecureString("s1")), TokenClient.ValidateScopes(new[] { "a", "b" }));
        var c = Context.Tokens.KeyFor(authority, new ServiceCredential("c", SecretText.ToSecureString("s2")), TokenClient.ValidateScopes(new[] { "a b" }));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // The fingerprint is keyed per process: equal for one secret, never the secret or a plain hash of it.
        Assert.NotEqual(a.SecretFingerprint, c.SecretFingerprint);
        // A secret long enough that it cannot turn up in 44 characters of base64 by chance (a key is random per process).
        const string secret = "a-secret-that-must-never-appear";
        var d = Context.Tokens.KeyFor(authority, new ServiceCredential("c", SecretText.ToSecureString(secret)), TokenClient.ValidateScopes(new[] { "a b" }));
        Assert.DoesNotContain(secret, d.SecretFingerprint);
        Assert.NotEqual(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(secret))), d.SecretFingerprint);
    }
}

public sealed class ExpiryTests
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    /// <summary>This test's engine on a clock that moves only when the module waits.</summary>
    private FakeTime UseFakeTime()
    {
        var time = new FakeTime();
        Context = new ClientContext(time);
        return time;
    }

    [Theory]
    [InlineData(3600, 1000)]
    [InlineData(2, 1000)]
    [InlineData(1, 500)]
    public void Expiry_keeps_a_second_of_slack_for_whole_second_JWT_timestamps(int lifetimeSeconds, int slackMilliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(slackMilliseconds), TokenClient.ExpirySlack(TimeSpan.FromSeconds(lifetimeSeconds)));
}
