using System.Net;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>RateLimitPolicy over a fake server: a 429's Retry-After pauses the next calls of that
/// application to that host (waited on the fake clock), and nothing else.</summary>
public sealed class RateLimitPolicyTests : PolicyTestBase
{
    private static readonly Uri OtherApi = new("https://api.other.example/");

    /// <summary>A call that does not retry, so only the gate waits.</summary>
    private static HttpCall Call(FakeTokens? tokens, Uri? api = null)
    {
        var call = ApiCall(HttpMethod.Get, "itwins", tokens, api: api);
        call.Retry = new RetryOptions { MaximumRetryCount = 0 };
        return call;
    }

    private async Task RateLimitedAsync(FakeTokens? tokens, int seconds, Uri? api = null)
    {
        Server.Then(429, null, ("Retry-After", seconds.ToString()));
        var result = await SendAsync(Call(tokens, api));
        Assert.Equal((HttpStatusCode)429, result.StatusCode);
        Assert.Empty(Time.Waits);
    }

    [Fact]
    public async Task A_429_pauses_the_next_call_of_the_same_app_to_the_same_host()
    {
        var tokens = NewTokens();
        await RateLimitedAsync(tokens, 30);
        Time.Advance(TimeSpan.FromSeconds(10));
        Server.Then(200, "{}");

        var result = await SendAsync(Call(tokens));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(new[] { TimeSpan.FromSeconds(20) }, Time.Waits); // what was left of the 30 s
        Assert.Equal(2, Server.Requests.Count);
    }

    [Fact]
    public async Task A_429_does_not_pause_calls_to_another_host()
    {
        await RateLimitedAsync(NewTokens(), 30);
        Server.Then(200, "{}");

        await SendAsync(Call(NewTokens(api: OtherApi), OtherApi));

        Assert.Empty(Time.Waits);
        Assert.Equal("api.other.example", Server.Requests[1].Uri.Host);
    }

    [Fact]
    public async Task A_429_does_not_pause_another_app_on_the_same_host()
    {
        await RateLimitedAsync(NewTokens("client-a"), 30);
        Server.Then(200, "{}");

        await SendAsync(Call(NewTokens("client-b")));

        Assert.Empty(Time.Waits);
    }

    [Fact]
    public async Task The_pause_a_retried_429_sets_holds_the_next_call()
    {
        var tokens = NewTokens();
        // The first 429 asks for 10 s (waited by the retry), the second, on the retry, for 20 s more.
        Server.Then(429, null, ("Retry-After", "10")).Then(429, null, ("Retry-After", "20"));
        var first = ApiCall(HttpMethod.Get, "itwins", tokens);
        first.Retry = new RetryOptions { MaximumRetryCount = 1 };
        Assert.Equal((HttpStatusCode)429, (await SendAsync(first)).StatusCode);
        Assert.Equal(new[] { TimeSpan.FromSeconds(10) }, Time.Waits);
        Server.Then(200, "{}");

        await SendAsync(Call(tokens));

        Assert.Equal(new[] { TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20) }, Time.Waits);
    }

    [Fact]
    public async Task A_pause_longer_than_the_deadline_fails_at_once_without_a_request()
    {
        var tokens = NewTokens();
        await RateLimitedAsync(tokens, 600);
        var call = Call(tokens);
        call.Deadline = TimeSpan.FromSeconds(60);

        var ex = await FailsAsync(call);

        Assert.Equal(ITwinErrorIds.RateLimited, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.LimitsExceeded, ex.Category);
        Assert.Single(Server.Requests);
        Assert.Empty(Time.Waits);
    }

    [Fact]
    public async Task A_pause_is_kept_for_at_most_the_longest_pause()
    {
        var tokens = NewTokens();
        await RateLimitedAsync(tokens, 86400);
        Server.Then(200, "{}");
        var call = Call(tokens);
        call.Deadline = RateLimitGate.LongestPause + TimeSpan.FromMinutes(5);

        await SendAsync(call);

        Assert.Equal(new[] { RateLimitGate.LongestPause }, Time.Waits);
    }

    [Fact]
    public async Task A_pause_that_has_passed_is_not_waited()
    {
        var tokens = NewTokens();
        await RateLimitedAsync(tokens, 30);
        Time.Advance(TimeSpan.FromSeconds(31));
        Server.Then(200, "{}");

        await SendAsync(Call(tokens));

        Assert.Empty(Time.Waits);
    }

    [Fact]
    public async Task Identity_calls_are_never_paused_and_pause_nothing()
    {
        // An API call without a token to the authority's host pauses exactly the key an identity call would have.
        await RateLimitedAsync(null, 30, Authority);
        Server.Then(200, "{}");
        await SendAsync(IdentityCall(HttpMethod.Get, ".well-known/openid-configuration"));
        Assert.Empty(Time.Waits);

        Context.RateLimits.Clear();
        Server.Then(429, null, ("Retry-After", "30"));
        var identity = IdentityCall(HttpMethod.Get, ".well-known/openid-configuration");
        identity.Retry = new RetryOptions { MaximumRetryCount = 0 };
        await SendAsync(identity);
        Server.Then(200, "{}");
        await SendAsync(Call(null, Authority));
        Assert.Empty(Time.Waits);
    }
}
