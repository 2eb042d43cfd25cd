using System.Net;
using System.Text;
using ITwinAuth.Emulator;
using Xunit;

namespace ITwinAuth.Core.Tests;

[Collection(EmulatorCollection.Name)]
public sealed class ApiTests(EmulatorFixture emulator)
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

    private ConnectionTokenSource Tokens(RegisteredApp app, RecordingLog? log = null) =>
        new(Context, emulator.Connect(app), InlineDispatcher.Instance, log ?? new RecordingLog());

    private async Task<HttpResult> Get(ITokenSource tokens, string path, ILogSink? log = null, RetryOptions? retry = null)
    {
        var call = ApiClient.NewCall(HttpMethod.Get, ApiClient.Resolve(tokens.ApiBaseUri, path, null, null), tokens, null, null);
        if (retry is not null) call.Retry = retry;
        return await ApiClient.SendAsync(Context, call, false, log ?? NullLogSink.Instance, default);
    }

    [Fact]
    public async Task Users_me_returns_the_service_identity_with_every_field()
    {
        var app = emulator.Register();
        var user = ITwinUser.From(await Get(Tokens(app), "/users/me"));
        Assert.Equal(app.UserId, user.Id);
        Assert.Equal($"{app.ClientId}@apps.imsoidc.bentley.com", user.Email);
        Assert.Equal("CLIENT_NAME", user.GivenName);
        Assert.Equal("LastName", user.Surname);
        Assert.Equal("US", user.Country);
        Assert.Null(user.City);
        Assert.NotNull(user.CreatedDateTime);
        Assert.Equal("application/vnd.bentley.itwin-platform.v1+json", emulator.Stats.ApiLog.Last().Accept);
    }

    [Fact]
    public async Task An_iTwin_error_body_becomes_the_ErrorId_category_and_details()
    {
        var app = emulator.Register();
        var ex = await Assert.ThrowsAsync<ITwinApiException>(() => Get(Tokens(app), $"/users/{Guid.NewGuid()}"));
        Assert.Equal("UserNotFound", ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.ObjectNotFound, ex.Category);
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.StartsWith("GET http://127.0.0.1:", ex.Target);

        var invalid = await Assert.ThrowsAsync<ITwinApiException>(() => Get(Tokens(app), "/users/not-a-guid"));
        Assert.Equal("InvalidUsersRequest", invalid.ErrorId);
        Assert.Equal(ITwinErrorCategory.InvalidArgument, invalid.Category);
    }

    [Fact]
    public async Task A_request_without_a_token_is_HeaderNotFound()
    {
        var result = await Context.Pipeline.SendAsync(new HttpCall(HttpMethod.Get, new Uri(emulator.Host.ApiBaseUri, "users/me")), NullLogSink.Instance, default);
        var ex = ApiErrors.FromResponse(result);
        Assert.Equal("HeaderNotFound", ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.AuthenticationError, ex.Category);
    }

    [Fact]
    public async Task A_token_the_API_rejects_is_renewed_once_and_the_request_retried()
    {
        var app = emulator.Register();
        var tokens = Tokens(app);
        await Get(tokens, "/users/me");
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 401, Times = 1 });
        var before = emulator.Stats.TokensIssued;
        var result = await Get(tokens, "/users/me");
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(before + 1, emulator.Stats.TokensIssued);

        emulator.Arm(new FaultRule { Path = "/users/me", Status = 401, Times = 2 });
        var ex = await Assert.ThrowsAsync<ITwinApiException>(() => Get(tokens, "/users/me"));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    [Fact]
    public async Task Retry_After_in_seconds_is_waited_in_full_then_the_call_succeeds()
    {
        using var time = UseFakeTime();
        var app = emulator.Register();
        var tokens = Tokens(app);
        await Get(tokens, "/users/me");
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 429, RetryAfterSeconds = 1, Times = 1 });
        var log = new RecordingLog();
        var result = await Get(tokens, "/users/me", log);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(new[] { TimeSpan.FromSeconds(1) }, time.Waits); // in full, once
        Assert.Contains(log.Lines, l => l.Contains("as Retry-After asks"));
    }

    [Fact]
    public async Task Retry_After_as_an_HTTP_date_is_honoured()
    {
        using var time = UseFakeTime();
        var app = emulator.Register();
        var tokens = Tokens(app);
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 503, RetryAfterDateSeconds = 2, Times = 1 });
        var result = await Get(tokens, "/users/me");
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        // The date is two seconds ahead in whole seconds: the wait is what is left of them.
        var wait = Assert.Single(time.Waits);
        Assert.InRange(wait, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Exhausted_retries_give_the_platforms_TooManyRequests()
    {
        var app = emulator.Register();
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 429, RetryAfterSeconds = 0, Times = 3 });
        var ex = await Assert.ThrowsAsync<ITwinApiException>(() =>
            Get(Tokens(app), "/users/me", retry: new RetryOptions { MaximumRetryCount = 2 }));
        Assert.Equal("TooManyRequests", ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.LimitsExceeded, ex.Category);
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_deadline_is_not_waited()
    {
        var app = emulator.Register();
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 429, RetryAfterSeconds = 3600, Times = 1 });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var ex = await Assert.ThrowsAsync<ITwinApiException>(() => Get(Tokens(app), "/users/me"));
            Assert.Equal("TooManyRequests", ex.ErrorId);
            Assert.Equal(TimeSpan.FromHours(1), ex.RetryAfter);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        }
        finally
        {
            Context.RateLimits.Clear(); // the emulator asked for an hour's pause: the other tests share its host
        }
    }

    [Fact]
    public async Task Non_JSON_gateway_pages_are_described_not_parsed()
    {
        var app = emulator.Register();
        emulator.Arm(new FaultRule { Path = "/users/me", Status = 500, Body = "<html><body>Gateway error</body></html>", ContentType = "text/html" });
        var ex = await Assert.ThrowsAsync<ITwinApiException>(() => Get(Tokens(app), "/users/me"));
        Assert.Equal(ITwinErrorIds.HttpError, ex.ErrorId);
        Assert.Contains("HTML page", ex.Message);
    }

    [Fact]
    public async Task Pages_name_their_collection_and_next_link()
    {
        var app = emulator.Register();
        var tokens = Tokens(app);
        using var page = Page.Read(await Get(tokens, "/itwins?$top=10&$skip=990"), CredentialBoundary.ForApi(tokens.ApiBaseUri));
        Assert.Equal("iTwins", page.CollectionName);
        Assert.Equal(10, page.ItemCount);
        Assert.Null(page.Next);

        using var first = Page.Read(await Get(tokens, "/itwins?$top=10"), CredentialBoundary.ForApi(tokens.ApiBaseUri));
        Assert.Equal(new Uri(emulator.Host.ApiBaseUri, "itwins?$top=10&$skip=10"), first.Next);
    }

    [Fact]
    public async Task A_next_link_to_another_host_is_refused()
    {
        var app = emulator.Register();
        var tokens = Tokens(app);
        emulator.Arm(new FaultRule { Path = "/itwins", Action = "foreign-next" });
        var result = await Get(tokens, "/itwins?$top=5");
        var ex = Assert.Throws<ITwinAuthException>(() => Page.Read(result, CredentialBoundary.ForApi(tokens.ApiBaseUri)));
        Assert.Equal(ITwinErrorIds.ForeignHostRefused, ex.ErrorId);
    }

    [Theory]
    [InlineData("https://evil.example/users/me")]
    [InlineData("http://127.0.0.2:1/users/me")]
    public void Paths_and_URIs_on_other_hosts_are_refused(string target)
    {
        var ex = Assert.Throws<ITwinAuthException>(() => ApiClient.Resolve(new Uri("https://api.bentley.com/"), target, null, null));
        Assert.Equal(ITwinErrorIds.ForeignHostRefused, ex.ErrorId);
        Assert.Throws<ITwinAuthException>(() => ApiClient.Resolve(new Uri("https://api.bentley.com/"), null, new Uri(target), null));
    }

    [Fact]
    public void Paths_join_the_API_base_and_queries_are_encoded()
    {
        var uri = ApiClient.Resolve(new Uri("https://api.bentley.com/base"), "/itwins/favorites", null,
            new[] { new KeyValuePair<string, object?>("$top", "5"), new KeyValuePair<string, object?>("$search", "a&b c") });
        Assert.Equal("https://api.bentley.com/base/itwins/favorites?%24top=5&%24search=a%26b%20c", uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("http://ims.bentley.com", ITwinErrorIds.InsecureUri)]
    [InlineData("ftp://ims.bentley.com", ITwinErrorIds.InvalidUri)]
    [InlineData("not a uri", ITwinErrorIds.InvalidUri)]
    [InlineData("", ITwinErrorIds.InvalidUri)]
    public void Authorities_must_be_https_unless_loopback(string text, string errorId) =>
        Assert.Equal(errorId, Assert.Throws<ITwinAuthException>(() => CredentialBoundary.RequireUsable(text, "Authority")).ErrorId);

    [Theory]
    [InlineData("http://127.0.0.1:5000")]
    [InlineData("http://localhost:5000")]
    [InlineData("http://[::1]:5000")]
    [InlineData("https://ims.bentley.com")]
    public void Loopback_http_and_any_https_are_allowed(string text) =>
        Assert.NotNull(CredentialBoundary.RequireUsable(text, "Authority"));
}

public sealed class ResolveTests
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
    [InlineData("//evil.example/users/me")]
    [InlineData("  //evil.example/users/me")]
    public void Network_path_references_name_another_host_and_are_refused(string path)
    {
        Assert.Equal(ITwinErrorIds.ForeignHostRefused,
            Assert.Throws<ITwinAuthException>(() => ApiClient.Resolve(new Uri("https://api.bentley.com/"), path, null, null)).ErrorId);
        Assert.Equal(ITwinErrorIds.ForeignHostRefused,
            Assert.Throws<ITwinAuthException>(() => ApiClient.Resolve(new Uri("https://api.bentley.com/"), null, new Uri(path.Trim(), UriKind.Relative), null)).ErrorId);
    }

    [Theory]
    [InlineData("/users/me", "https://api.bentley.com/users/me")]
    [InlineData("users/me", "https://api.bentley.com/users/me")]
    [InlineData("https://api.bentley.com/itwins?$top=1", "https://api.bentley.com/itwins?$top=1")]
    public void Paths_and_same_host_URIs_resolve_under_the_API_base(string path, string expected) =>
        Assert.Equal(expected, ApiClient.Resolve(new Uri("https://api.bentley.com/"), path, null, null).ToString());
}
