using System.Net;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>
/// RequestFactory's SendOnce: a request that is not idempotent can have its body written only once,
/// so when the handler re-sends it on its own (as .NET's does after some connection failures) the
/// re-send fails instead of reaching the server. The fake server serializes each request's body
/// twice, as such a re-send would; an idempotent request shows that the fake can see both.
/// </summary>
public sealed class SendOnceTests : PolicyTestBase
{
    public SendOnceTests() => Server.DeliveriesPerRequest = 2;

    [Theory]
    [InlineData("POST", "{\"displayName\":\"x\"}")]
    [InlineData("PATCH", "{\"displayName\":\"x\"}")]
    [InlineData("POST", null)]
    public async Task A_request_that_is_not_idempotent_reaches_the_server_once_when_the_handler_resends_it(string method, string? body)
    {
        Server.Otherwise = (_, _) => Task.FromResult(FakeServer.Response(HttpStatusCode.Created, "{}"));
        var call = ApiCall(new HttpMethod(method), "itwins", NewTokens(), body);
        call.Retry = new RetryOptions { MaximumRetryCount = 3 };

        var ex = await FailsAsync(call);

        Assert.Equal(ITwinErrorIds.ApiUnreachable, ex.ErrorId);
        var delivered = Assert.Single(Server.Requests);
        Assert.Equal(method, delivered.Method.Method);
        Assert.Equal(body ?? string.Empty, delivered.BodyText);
        Assert.Empty(Time.Waits); // and the pipeline does not send it again either
    }

    [Fact]
    public async Task The_body_sent_once_is_the_callers_with_its_content_type_and_length()
    {
        Server.DeliveriesPerRequest = 1;
        Server.Then(201, "{}");

        await SendAsync(ApiCall(HttpMethod.Post, "itwins", NewTokens(), "{\"displayName\":\"é\"}"));

        var delivered = Assert.Single(Server.Requests);
        Assert.Equal("{\"displayName\":\"é\"}", delivered.BodyText);
        Assert.Equal("application/json; charset=utf-8", delivered.Header("Content-Type"));
        Assert.Equal(delivered.Body!.Length.ToString(), delivered.Header("Content-Length"));
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task An_idempotent_request_may_be_resent_by_the_handler_and_the_fake_sees_it(string method)
    {
        Server.Then(200, "{}");

        var result = await SendAsync(ApiCall(new HttpMethod(method), "itwins/1", NewTokens(), "{\"n\":1}"));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(2, Server.Requests.Count);
        Assert.All(Server.Requests, r => Assert.Equal("{\"n\":1}", r.BodyText));
    }

    [Fact]
    public async Task A_POST_marked_idempotent_is_not_held_to_one_send()
    {
        Server.Then(200, "{}");
        var call = IdentityCall(HttpMethod.Post, "connect/token", "grant_type=client_credentials");
        call.Idempotent = true;

        await SendAsync(call);

        Assert.Equal(2, Server.Requests.Count);
    }
}
