using System.Net;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>TransportPolicy: one attempt through the transport; a proxy that refuses ends the call.</summary>
public sealed class TransportPolicyTests : PolicyTestBase
{
    [Fact]
    public async Task A_407_from_a_proxy_is_ProxyAuthenticationRequired_at_once_never_retried_or_renewed()
    {
        Server.Otherwise = (_, _) => Task.FromResult(FakeServer.Response((HttpStatusCode)407, string.Empty));
        var tokens = NewTokens();

        var ex = await FailsAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(ITwinErrorIds.ProxyAuthenticationRequired, ex.ErrorId);
        Assert.Contains("-ProxyCredential", ex.Message);
        Assert.Single(Server.Requests);
        Assert.Empty(Time.Waits);
    }

    [Fact]
    public async Task An_address_with_a_user_and_password_is_refused_before_anything_is_sent()
    {
        var ex = Assert.Throws<ITwinAuthException>(() =>
            ApiClient.Resolve(Api, "https://user:secret-pw@api.bentley.com/itwins", null, null));
        Assert.Equal(ITwinErrorIds.InvalidPath, ex.ErrorId);
        Assert.DoesNotContain("secret-pw", ex.Message);
        Assert.Empty(Server.Requests);
        await Task.CompletedTask;
    }
}
