using System.Diagnostics;
using ITwinAuth.Emulator;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>The send loop against a server that misbehaves on purpose: what reaches the foreign host
/// (bodies included), how much is read, how often a request is delivered, and which error comes out.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class HostileServerTests(EmulatorFixture emulator)
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

    private ConnectionTokenSource Tokens(RegisteredApp app) => new(Context, emulator.Connect(app), InlineDispatcher.Instance, new RecordingLog());

    private HttpCall ApiCall(ITokenSource tokens, HttpMethod method, string path) =>
        ApiClient.NewCall(method, ApiClient.Resolve(tokens.ApiBaseUri, path, null, null), tokens, null, null);

    /// <summary>A new app whose token is cached and whose connection is pooled, so what a test
    /// counts next is only its own request.</summary>
    private async Task<ConnectionTokenSource> WarmAsync()
    {
        var tokens = Tokens(emulator.Register());
        await ApiClient.SendAsync(Context, ApiCall(tokens, HttpMethod.Get, "/users/me"), false, NullLogSink.Instance, default);
        return tokens;
    }

    /// <summary>Arms faults until disposed.</summary>
    private IDisposable Armed(params FaultRule[] rules)
    {
        emulator.Arm(rules);
        return new Disarm(emulator);
    }

    private sealed class Disarm(EmulatorFixture emulator) : IDisposable
    {
        public void Dispose() => emulator.Host.State.Faults.Clear();
    }

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    [InlineData(302)]
    public async Task The_token_endpoint_cannot_redirect_the_secret_to_another_host(int status)
    {
        var app = emulator.Register();
        Context.Discovery.Forget();
        var foreignBefore = emulator.Stats.ForeignRequests.Count;
        var sightingsBefore = emulator.Stats.SecretSightings;
        emulator.Arm(new FaultRule { Path = "/connect/token", Status = status, Location = emulator.Host.ForeignUri + "connect/token", Times = 1 });

        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() =>
            ConnectionTokenSource.AcquireAsync(Context, emulator.Connect(app), InlineDispatcher.Instance, true, NullLogSink.Instance, default));

        Assert.Equal(ITwinErrorIds.RedirectRefused, ex.ErrorId);
        Assert.Contains(emulator.Host.ForeignUri.GetLeftPart(UriPartial.Authority), ex.Message);
        Assert.Equal(foreignBefore, emulator.Stats.ForeignRequests.Count);
        Assert.Equal(sightingsBefore, emulator.Stats.SecretSightings);
    }

    [Fact]
    public async Task An_api_POST_body_is_not_resent_to_another_host_and_a_GET_goes_there_stripped()
    {
        var app = emulator.Register();
        var tokens = Tokens(app);
        var foreignBefore = emulator.Stats.ForeignRequests.Count;
        emulator.Arm(new FaultRule { Path = "/_emulator/echo", Status = 307, Location = emulator.Host.ForeignUri + "steal", Times = 1 });
        var post = ApiCall(tokens, HttpMethod.Post, "/_emulator/echo");
        post.Content = () => ApiClient.JsonContent("{\"secret\":\"body\"}", null);
        post.CallerHeaders["X-Api-Key"] = "api-key-value";
        var refused = await Assert.ThrowsAsync<ITwinAuthException>(() => ApiClient.SendAsync(Context, post, false, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.RedirectRefused, refused.ErrorId);
        Assert.Equal(foreignBefore, emulator.Stats.ForeignRequests.Count);

        emulator.Arm(new FaultRule { Path = "/users/me", Status = 302, Location = emulator.Host.ForeignUri + "elsewhere", Times = 1 });
        var get = ApiCall(tokens, HttpMethod.Get, "/users/me");
        get.CallerHeaders["X-Api-Key"] = "api-key-value";
        get.CallerHeaders["Cookie"] = "session=cookie-value";
        var result = await ApiClient.SendAsync(Context, get, false, NullLogSink.Instance, default);
        Assert.Equal(emulator.Host.ForeignUri.Port, result.Uri.Port);
        var seen = emulator.Stats.ForeignRequests.Last();
        Assert.False(seen.HadAuthorization);
        Assert.DoesNotContain(seen.Headers!, h => h.Contains("api-key-value") || h.Contains("cookie-value"));
    }

    [Theory]
    [InlineData("endless", 0L)]
    [InlineData("oversized", 3L << 30)]
    [InlineData("flood", 500L << 20)]
    [InlineData("gzip-bomb", 1L << 30)]
    public async Task A_body_past_its_limit_is_ResponseTooLarge_at_once_and_not_retried(string action, long bytes)
    {
        var tokens = await WarmAsync();
        var before = emulator.Stats.ApiRequests;
        using var faults = Armed(new FaultRule { Path = "/users/me", Action = action, Bytes = bytes, Status = 200, Times = -1 });
        var call = ApiCall(tokens, HttpMethod.Get, "/users/me");
        call.MaximumBodyBytes = 4L << 20;
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() => ApiClient.SendAsync(Context, call, false, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.ResponseTooLarge, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.LimitsExceeded, ex.Category);
        Assert.Equal(before + 1, emulator.Stats.ApiRequests);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    public async Task A_body_whose_encoding_lies_is_ResponseDecodingFailed_and_not_retried(string encoding)
    {
        var tokens = await WarmAsync();
        var before = emulator.Stats.ApiRequests;
        using var faults = Armed(new FaultRule { Path = "/users/me", Action = "bad-encoding", Encoding = encoding, Status = 200, Times = -1 });
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() =>
            ApiClient.SendAsync(Context, ApiCall(tokens, HttpMethod.Get, "/users/me"), false, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.ResponseDecodingFailed, ex.ErrorId);
        Assert.Equal(before + 1, emulator.Stats.ApiRequests);
    }

    [Fact]
    public async Task A_bodyless_POST_reaches_a_server_that_drops_the_connection_exactly_once()
    {
        // A pooled connection first: the handler re-sends only on a reused connection.
        var tokens = await WarmAsync();
        var before = emulator.Stats.ApiRequests;
        using var faults = Armed(new FaultRule { Path = "/_emulator/echo", Action = "abort", Times = -1 });
        var post = ApiCall(tokens, HttpMethod.Post, "/_emulator/echo");
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() => ApiClient.SendAsync(Context, post, false, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.ApiUnreachable, ex.ErrorId);
        Assert.Equal(before + 1, emulator.Stats.ApiRequests);
    }

    [Fact]
    public async Task The_deadline_bounds_attempts_and_waits_together()
    {
        var tokens = await WarmAsync();
        using var faults = Armed(new FaultRule { Path = "/users/me", Action = "delay", DelayMs = 20000, Times = -1 });
        var call = ApiCall(tokens, HttpMethod.Get, "/users/me");
        call.AttemptTimeout = TimeSpan.FromSeconds(1);
        call.Deadline = TimeSpan.FromSeconds(1.5);
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() => ApiClient.SendAsync(Context, call, false, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.RequestTimedOut, ex.ErrorId);
        Assert.Contains("deadline", ex.Message);
        // The first attempt runs its whole second; then either the back-off fits in what is left and
        // the deadline ends the second attempt (about 1.5 s), or it does not and is never started
        // (about 1 s, more often on a loaded machine). Either way, no later than the deadline.
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.95, 6);
    }

    [Fact]
    public async Task OutFile_into_a_missing_folder_is_OutFileFailed_before_anything_is_sent()
    {
        var app = emulator.Register();
        var tokens = Tokens(app);
        var before = emulator.Stats.ApiRequests;
        var call = ApiCall(tokens, HttpMethod.Get, "/users/me");
        call.OutFile = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), "me.json");
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() => ApiClient.SendAsync(Context, call, false, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.OutFileFailed, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.WriteError, ex.Category);
        Assert.Equal(before, emulator.Stats.ApiRequests);
    }

    [Fact]
    public async Task OutFile_replaces_the_target_only_with_a_whole_body()
    {
        var app = emulator.Register();
        var tokens = Tokens(app);
        var path = Path.Combine(Path.GetTempPath(), "itwinauth-outfile-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, "previous");
        try
        {
            emulator.Arm(new FaultRule { Path = "/users/me", Action = "reset", Times = -1 });
            var broken = ApiCall(tokens, HttpMethod.Get, "/users/me");
            broken.OutFile = path;
            broken.Retry = new RetryOptions { MaximumRetryCount = 0 };
            await Assert.ThrowsAsync<ITwinAuthException>(() => ApiClient.SendAsync(Context, broken, false, NullLogSink.Instance, default));
            Assert.Equal("previous", File.ReadAllText(path));
            emulator.Host.State.Faults.Clear();

            var whole = ApiCall(tokens, HttpMethod.Get, "/users/me");
            whole.OutFile = path;
            await ApiClient.SendAsync(Context, whole, false, NullLogSink.Instance, default);
            Assert.Contains(app.ClientId, File.ReadAllText(path));
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), "." + Path.GetFileName(path) + ".*.partial"));
        }
        finally
        {
            emulator.Host.State.Faults.Clear();
            File.Delete(path);
        }
    }
}

/// <summary>Waits the module would make, measured on a fake clock: nothing here sleeps.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class WaitTests(EmulatorFixture emulator)
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
    public async Task A_60_second_Retry_After_is_waited_in_full_and_shared_with_the_next_request_to_the_host()
    {
        using var time = UseFakeTime();
        var app = emulator.Register();
        var tokens = new ConnectionTokenSource(Context, emulator.Connect(app), InlineDispatcher.Instance, NullLogSink.Instance);
        await ApiClient.SendAsync(Context, ApiClient.NewCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me"), tokens, null, null), false, NullLogSink.Instance, default);
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 429, RetryAfterSeconds = 60, Times = 1 });
        var log = new RecordingLog();
        var result = await ApiClient.SendAsync(Context, ApiClient.NewCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me"), tokens, null, null), false, log, default);
        Assert.True(result.IsSuccess);
        Assert.Equal(new[] { TimeSpan.FromSeconds(60) }, time.Waits);
        Assert.Contains(log.Lines, l => l.Contains("rate-limiting this application") && l.Contains("ITwinPlatform-RateLimited-Tier: trial"));

        // A second 429 pauses the host for everyone: another call waits before it sends anything.
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 429, RetryAfterSeconds = 30, Times = 1 });
        var paused = ApiClient.NewCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me"), tokens, null, null);
        paused.Retry = new RetryOptions { MaximumRetryCount = 0 };
        await Assert.ThrowsAsync<ITwinApiException>(() => ApiClient.SendAsync(Context, paused, false, NullLogSink.Instance, default));
        var before = emulator.Stats.ApiRequests;
        time.Advance(TimeSpan.FromSeconds(10));
        await ApiClient.SendAsync(Context, ApiClient.NewCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me"), tokens, null, null), false, NullLogSink.Instance, default);
        Assert.Equal(before + 1, emulator.Stats.ApiRequests);
        Assert.InRange(time.Waits[^1].TotalSeconds, 19.5, 20.5);
    }

    [Fact]
    public async Task A_wait_that_would_pass_the_deadline_is_not_started()
    {
        using var time = UseFakeTime();
        var app = emulator.Register();
        var tokens = new ConnectionTokenSource(Context, emulator.Connect(app), InlineDispatcher.Instance, NullLogSink.Instance);
        await ApiClient.SendAsync(Context, ApiClient.NewCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me"), tokens, null, null), false, NullLogSink.Instance, default);
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 503, RetryAfterSeconds = 200, Times = 1 });
        var log = new RecordingLog();
        var ex = await Assert.ThrowsAsync<ITwinApiException>(() =>
            ApiClient.SendAsync(Context, ApiClient.NewCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me"), tokens, null, null), false, log, default));
        Assert.Equal("ServiceUnavailable", ex.ErrorId);
        Assert.Empty(time.Waits);
        Assert.Contains(log.Lines, l => l.Contains("would pass the call's 120 s deadline"));
    }

    [Fact]
    public async Task Back_off_grows_and_is_bounded_by_the_retry_count()
    {
        using var time = UseFakeTime();
        var app = emulator.Register();
        var tokens = new ConnectionTokenSource(Context, emulator.Connect(app), InlineDispatcher.Instance, NullLogSink.Instance);
        await ApiClient.SendAsync(Context, ApiClient.NewCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me"), tokens, null, null), false, NullLogSink.Instance, default);
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 503, Times = -1 });
        try
        {
            await Assert.ThrowsAsync<ITwinApiException>(() =>
                ApiClient.SendAsync(Context, ApiClient.NewCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me"), tokens, null, null), false, NullLogSink.Instance, default));
            var waits = time.Waits;
            Assert.Equal(RetryOptions.DefaultMaximumRetryCount, waits.Count);
            for (var i = 0; i < waits.Count; i++)
                Assert.InRange(waits[i].TotalMilliseconds, 250 * Math.Pow(2, i), 500 * Math.Pow(2, i)); // half to full of 0.5 s x 2^i
        }
        finally
        {
            emulator.Host.State.Faults.Clear();
        }
    }
}
