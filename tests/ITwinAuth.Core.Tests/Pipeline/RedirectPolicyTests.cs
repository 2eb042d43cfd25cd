using System.Net;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>RedirectPolicy over a fake server: what each hop of a redirected call carries, as the
/// server received it, and which redirects are refused before anything goes to their target.</summary>
public sealed class RedirectPolicyTests : PolicyTestBase
{
    private const string Body = "{\"displayName\":\"secret body\"}";
    private const string Cdn = "https://cdn.example/blob";

    private HttpCall Call(HttpMethod method, FakeTokens tokens, bool body)
    {
        var call = ApiCall(method, "itwins", tokens, body ? Body : null);
        call.CallerHeaders["X-Api-Key"] = "caller-key";
        call.Headers["Accept"] = "application/json";
        return call;
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_same_origin_redirect_keeps_Authorization_and_the_callers_headers(int status)
    {
        var tokens = NewTokens();
        Server.ThenRedirect(status, "/itwins/moved").Then(200, "{}");

        await SendAsync(Call(HttpMethod.Get, tokens, body: false));

        var (first, second) = (Server.Requests[0], Server.Requests[1]);
        Assert.Equal("https://api.bentley.com/itwins/moved", second.Uri.AbsoluteUri);
        foreach (var request in new[] { first, second })
        {
            Assert.Equal(tokens.Header(1), request.Authorization);
            Assert.Equal("caller-key", request.Header("X-Api-Key"));
        }
        Assert.Equal(first.CorrelationId, second.CorrelationId);
    }

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_same_origin_307_or_308_resends_the_method_and_the_body(int status)
    {
        Server.ThenRedirect(status, "/itwins/moved").Then(201, "{}");

        await SendAsync(Call(HttpMethod.Post, NewTokens(), body: true));

        Assert.Equal(2, Server.Requests.Count);
        Assert.All(Server.Requests, r =>
        {
            Assert.Equal(HttpMethod.Post, r.Method);
            Assert.Equal(Body, r.BodyText);
        });
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_GET_redirected_to_another_origin_arrives_there_without_Authorization_or_caller_headers(int status)
    {
        var tokens = NewTokens();
        Server.ThenRedirect(status, Cdn).Then(200, "{}");

        var result = await SendAsync(Call(HttpMethod.Get, tokens, body: false));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        var foreign = Server.Requests[1];
        Assert.Equal(Cdn, foreign.Uri.AbsoluteUri);
        Assert.Null(foreign.Authorization);
        Assert.Null(foreign.Header("X-Api-Key"));
        Assert.False(foreign.HasBody);
        Assert.Equal("application/json", foreign.Header("Accept")); // the module's own headers are harmless anywhere
        Assert.Equal(tokens.Header(1), Server.Requests[0].Authorization);
        Assert.Equal(1, tokens.Gets); // no token was even fetched for the foreign hop
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    public async Task A_POST_redirected_to_another_origin_as_a_GET_arrives_there_without_body_or_credentials(int status)
    {
        Server.ThenRedirect(status, Cdn).Then(200, "{}");

        await SendAsync(Call(HttpMethod.Post, NewTokens(), body: true));

        var (first, foreign) = (Server.Requests[0], Server.Requests[1]);
        Assert.Equal(Body, first.BodyText);
        Assert.Equal(HttpMethod.Get, foreign.Method);
        Assert.False(foreign.HasBody);
        Assert.Null(foreign.Header("Content-Type"));
        Assert.Null(foreign.Authorization);
        Assert.Null(foreign.Header("X-Api-Key"));
    }

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_body_is_never_resent_to_another_origin(int status)
    {
        Server.ThenRedirect(status, Cdn).Then(200, "{}");

        var ex = await FailsAsync(Call(HttpMethod.Post, NewTokens(), body: true));

        Assert.Equal(ITwinErrorIds.RedirectRefused, ex.ErrorId);
        Assert.Single(Server.Requests);
    }

    [Theory]
    [InlineData("POST", 302, "https://evil.example/connect/token")]
    [InlineData("POST", 307, "https://evil.example/connect/token")]
    [InlineData("POST", 303, "https://evil.example/connect/token")]
    [InlineData("POST", 307, "https://ims.bentley.com:8443/connect/token")]
    [InlineData("GET", 302, "//evil.example/.well-known/openid-configuration")]
    public async Task An_identity_call_refuses_a_redirect_to_another_origin(string method, int status, string location)
    {
        Server.ThenRedirect(status, location).Then(200, "{}");
        var call = IdentityCall(new HttpMethod(method), "connect/token", method == "POST" ? "client_secret=s3cret" : null);

        var ex = await FailsAsync(call);

        Assert.Equal(ITwinErrorIds.RedirectRefused, ex.ErrorId);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task An_identity_call_follows_a_redirect_on_its_own_origin()
    {
        Server.ThenRedirect(307, "/connect/token2").Then(200, "{}");

        await SendAsync(IdentityCall(HttpMethod.Post, "connect/token", "client_secret=s3cret"));

        Assert.Equal("https://ims.bentley.com/connect/token2", Server.Requests[1].Uri.AbsoluteUri);
        Assert.Equal("client_secret=s3cret", Server.Requests[1].BodyText);
    }

    [Theory]
    [InlineData("http://api.bentley.com/itwins")]
    [InlineData("http://cdn.example/blob")]
    public async Task Https_is_never_redirected_to_plain_http(string location)
    {
        Server.ThenRedirect(302, location).Then(200, "{}");

        var ex = await FailsAsync(Call(HttpMethod.Get, NewTokens(), body: false));

        Assert.Equal(ITwinErrorIds.RedirectRefused, ex.ErrorId);
        Assert.Contains("downgrade", ex.Message);
        Assert.Single(Server.Requests);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ftp://api.bentley.com/x")]
    public async Task A_redirect_without_a_usable_Location_is_refused(string? location)
    {
        Server.Then(_ => location is null ? FakeServer.Response((HttpStatusCode)302) : FakeServer.Response((HttpStatusCode)302, null, ("Location", location)));

        var ex = await FailsAsync(Call(HttpMethod.Get, NewTokens(), body: false));

        Assert.Equal(ITwinErrorIds.RedirectRefused, ex.ErrorId);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task More_than_five_redirects_is_TooManyRedirects()
    {
        var n = 0;
        Server.Otherwise = (_, _) => Task.FromResult(FakeServer.Response(HttpStatusCode.Found, null, ("Location", $"/hop{++n}")));

        var ex = await FailsAsync(Call(HttpMethod.Get, NewTokens(), body: false));

        Assert.Equal(ITwinErrorIds.TooManyRedirects, ex.ErrorId);
        Assert.Equal(1 + CredentialBoundary.MaximumRedirects, Server.Requests.Count); // five followed, the sixth not
    }

    [Fact]
    public async Task Five_redirects_are_followed()
    {
        for (var i = 1; i <= CredentialBoundary.MaximumRedirects; i++) Server.ThenRedirect(302, $"/hop{i}");
        Server.Then(200, "{}");

        var result = await SendAsync(Call(HttpMethod.Get, NewTokens(), body: false));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal("https://api.bentley.com/hop5", result.Uri.AbsoluteUri);
    }

    [Fact]
    public async Task A_303_turns_a_POST_into_a_GET_without_its_body()
    {
        var tokens = NewTokens();
        Server.ThenRedirect(303, "/operations/1").Then(200, "{}");

        var result = await SendAsync(Call(HttpMethod.Post, tokens, body: true));

        var (post, get) = (Server.Requests[0], Server.Requests[1]);
        Assert.Equal(HttpMethod.Post, post.Method);
        Assert.Equal(Body, post.BodyText);
        Assert.Equal(HttpMethod.Get, get.Method);
        Assert.Equal("https://api.bentley.com/operations/1", get.Uri.AbsoluteUri);
        Assert.False(get.HasBody);
        Assert.Null(get.Header("Content-Type"));
        Assert.Equal(tokens.Header(1), get.Authorization); // same origin: still the API's call
        Assert.Equal(HttpMethod.Get, result.Method);
    }

    [Fact]
    public async Task Once_off_the_origin_a_redirect_back_does_not_pick_the_credentials_up_again()
    {
        var tokens = NewTokens();
        Server.ThenRedirect(302, Cdn).ThenRedirect(302, "https://api.bentley.com/itwins/2").Then(200, "{}");

        await SendAsync(Call(HttpMethod.Get, tokens, body: false));

        Assert.Equal(3, Server.Requests.Count);
        Assert.Equal("https://api.bentley.com/itwins/2", Server.Requests[2].Uri.AbsoluteUri);
        Assert.Null(Server.Requests[2].Authorization);
        Assert.Null(Server.Requests[2].Header("X-Api-Key"));
    }
}
