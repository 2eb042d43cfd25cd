using System.Net;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>RenewOn401Policy over a fake server and a counting token source: one renewal per call,
/// none for a token given by hand.</summary>
public sealed class RenewOn401PolicyTests : PolicyTestBase
{
    [Fact]
    public async Task A_401_is_answered_once_with_a_new_token()
    {
        var tokens = NewTokens();
        Server.Then(401).Then(200, "{}");

        var result = await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(new[] { tokens.Header(1), tokens.Header(2) }, Server.Requests.Select(r => r.Authorization));
        Assert.Equal(new[] { "token-1" }, tokens.RejectedTokens);
        Assert.Equal(2, tokens.Gets);
    }

    [Fact]
    public async Task A_second_401_is_the_answer()
    {
        var tokens = NewTokens();
        Server.Otherwise = (_, _) => Task.FromResult(FakeServer.Response(HttpStatusCode.Unauthorized));

        var result = await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(HttpStatusCode.Unauthorized, result.StatusCode);
        Assert.Equal(2, Server.Requests.Count);
        Assert.Single(tokens.RejectedTokens);
        Assert.Equal(2, tokens.Gets);
    }

    [Fact]
    public async Task One_renewal_per_call_across_its_retries_and_redirects()
    {
        var tokens = NewTokens();
        Server.Then(401)                                  // renewed
            .Then(503, null, ("Retry-After", "1"))        // retried
            .ThenRedirect(307, "/itwins/moved")           // followed
            .Then(401)                                    // not renewed again: the answer
            .Then(200, "{}");

        var result = await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(HttpStatusCode.Unauthorized, result.StatusCode);
        Assert.Equal(4, Server.Requests.Count);
        Assert.Single(tokens.RejectedTokens);
    }

    [Fact]
    public async Task A_POST_is_renewed_with_its_body()
    {
        var tokens = NewTokens();
        Server.Then(401).Then(201, "{}");

        await SendAsync(ApiCall(HttpMethod.Post, "itwins", tokens, body: "{\"n\":1}"));

        Assert.All(Server.Requests, r => Assert.Equal("{\"n\":1}", r.BodyText));
        Assert.Equal(tokens.Header(2), Server.Requests[1].Authorization);
    }

    [Fact]
    public async Task A_token_given_by_hand_is_not_renewed()
    {
        var tokens = NewTokens(canRenew: false);
        Server.Then(401).Then(200, "{}");

        var result = await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(HttpStatusCode.Unauthorized, result.StatusCode);
        Assert.Single(Server.Requests);
        Assert.Equal(1, tokens.Gets);
    }

    /// <summary>
    /// FixedTokenSource.Rejected exists for this case ("if the token is also the cached one, the next
    /// sign-in renews it"), and ITokenSource.Rejected says "the API answered 401 to this token: drop
    /// it": a 401 to a token given by hand is still reported to its source, only not renewed.
    /// </summary>
    [Fact]
    public async Task A_401_to_a_token_given_by_hand_is_reported_to_its_source()
    {
        var tokens = NewTokens(canRenew: false);
        Server.Then(401);

        await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(new[] { "token-1" }, tokens.RejectedTokens);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task A_401_from_a_host_that_got_no_token_renews_nothing()
    {
        var tokens = NewTokens();
        Server.ThenRedirect(302, "https://cdn.example/blob").Then(401).Then(200, "{}");

        var result = await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(HttpStatusCode.Unauthorized, result.StatusCode);
        Assert.Equal(2, Server.Requests.Count);
        Assert.Empty(tokens.RejectedTokens);
    }
}
