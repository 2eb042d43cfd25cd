using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>AuthorizationPolicy over a fake server: the token goes only on hops that may carry
/// credentials, and is not even fetched for the others.</summary>
public sealed class AuthorizationPolicyTests : PolicyTestBase
{
    [Fact]
    public async Task A_call_to_the_API_carries_the_token_and_the_callers_headers()
    {
        var tokens = NewTokens();
        Server.Then(200, "{}");
        var call = ApiCall(HttpMethod.Get, "itwins", tokens);
        call.CallerHeaders["X-Api-Key"] = "caller-key";

        await SendAsync(call);

        var request = Assert.Single(Server.Requests);
        Assert.Equal("Bearer token-1", request.Authorization);
        Assert.Equal("caller-key", request.Header("X-Api-Key"));
        Assert.Equal(call.CorrelationId, request.CorrelationId);
        Assert.Equal(1, tokens.Gets);
    }

    [Theory]
    [InlineData("https://evil.example/itwins")]
    [InlineData("http://api.bentley.com/itwins")]
    [InlineData("https://api.bentley.com:8443/itwins")]
    public async Task A_first_hop_off_the_calls_origin_carries_no_token_or_caller_headers(string target)
    {
        var tokens = NewTokens();
        Server.Then(200, "{}");
        var call = new HttpCall(HttpMethod.Get, new Uri(target), CredentialBoundary.ForApi(Api)) { Tokens = tokens };
        call.CallerHeaders["X-Api-Key"] = "caller-key";

        await SendAsync(call);

        var request = Assert.Single(Server.Requests);
        Assert.Null(request.Authorization);
        Assert.Null(request.Header("X-Api-Key"));
        Assert.Equal(0, tokens.Gets);
    }

    /// <summary>
    /// The policy logs for such a hop "no Authorization header, -Headers or body is sent", and a hop off
    /// the origin "carries nothing of the caller's" (CredentialBoundary): the body must not arrive
    /// there either, whether the call is refused or sent without it.
    /// </summary>
    [Fact]
    public async Task A_first_hop_off_the_calls_origin_carries_no_body()
    {
        Server.Otherwise = (_, _) => Task.FromResult(FakeServer.Response(System.Net.HttpStatusCode.Created, "{}"));
        var call = new HttpCall(HttpMethod.Post, new Uri("https://evil.example/itwins"), CredentialBoundary.ForApi(Api))
        {
            Tokens = NewTokens(),
            Content = () => new StringContent("{\"secret\":\"body\"}"),
        };

        try { await SendAsync(call); }
        catch (ITwinAuthException) { }

        Assert.DoesNotContain(Server.Requests, r => r.HasBody);
    }

    [Fact]
    public async Task Every_hop_on_the_origin_carries_the_token_and_no_hop_elsewhere()
    {
        var tokens = NewTokens();
        Server.ThenRedirect(307, "/itwins/a")
            .ThenRedirect(302, "https://cdn.example/b")
            .ThenRedirect(302, "https://cdn2.example/c")
            .Then(200, "{}");

        await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(new[] { "Bearer token-1", "Bearer token-1", null, null }, Server.Requests.Select(r => r.Authorization));
        Assert.Equal(2, tokens.Gets);
    }

    [Fact]
    public async Task Each_retry_on_the_origin_carries_the_token_again()
    {
        var tokens = NewTokens();
        Server.Then(503, null, ("Retry-After", "1")).ThenThrow(() => new HttpRequestException("reset")).Then(200, "{}");

        await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(3, Server.Requests.Count);
        Assert.All(Server.Requests, r => Assert.Equal("Bearer token-1", r.Authorization));
    }

    [Fact]
    public async Task A_call_without_a_token_source_sends_no_Authorization()
    {
        Server.Then(200, "{}");

        await SendAsync(IdentityCall(HttpMethod.Post, "connect/token", "grant_type=client_credentials"));

        Assert.Null(Assert.Single(Server.Requests).Authorization);
    }
}
