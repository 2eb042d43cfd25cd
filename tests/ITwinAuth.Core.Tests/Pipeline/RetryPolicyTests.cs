using System.Net;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>RetryPolicy over a fake server: what is tried again, how long it waits (on the fake
/// clock), how often, and what is never sent twice.</summary>
public sealed class RetryPolicyTests : PolicyTestBase
{
    private static HttpCall Get(RetryOptions? retry = null)
    {
        var call = ApiCall(HttpMethod.Get, "itwins");
        if (retry is not null) call.Retry = retry;
        return call;
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task A_503_or_429_then_200_waits_the_Retry_After_seconds_once(int status)
    {
        var tokens = NewTokens();
        Server.Then(status, null, ("Retry-After", "7")).Then(200, "{\"ok\":1}");

        var result = await SendAsync(ApiCall(HttpMethod.Get, "itwins", tokens));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal("{\"ok\":1}", System.Text.Encoding.UTF8.GetString(result.Body));
        Assert.Equal(2, Server.Requests.Count);
        // Seven seconds, once: not again by the rate-limit gate that the 429 also set.
        Assert.Equal(new[] { TimeSpan.FromSeconds(7) }, Time.Waits);
    }

    [Fact]
    public async Task A_Retry_After_date_is_waited_until_by_the_contexts_clock()
    {
        Server.Then(_ => FakeServer.Response(HttpStatusCode.ServiceUnavailable, null, ("Retry-After", Time.UtcNow.AddSeconds(30).ToString("r"))))
            .Then(200, "{}");

        var result = await SendAsync(Get());

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        var wait = Assert.Single(Time.Waits);
        Assert.InRange(wait.TotalSeconds, 29.0, 30.0); // the date has whole seconds
    }

    [Fact]
    public async Task Back_off_without_Retry_After_grows_and_stays_within_the_maximum()
    {
        var retry = new RetryOptions { MaximumRetryCount = 5, BaseDelay = TimeSpan.FromSeconds(1), MaximumDelay = TimeSpan.FromSeconds(4) };
        Server.Otherwise = (_, _) => Task.FromResult(FakeServer.Response(HttpStatusCode.ServiceUnavailable));

        var result = await SendAsync(Get(retry));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, result.StatusCode);
        Assert.Equal(6, Server.Requests.Count);
        var waits = Time.Waits;
        Assert.Equal(5, waits.Count);
        for (var i = 0; i < waits.Count; i++)
        {
            var ceiling = Math.Min(Math.Pow(2, i), 4); // 1, 2, 4, 4, 4 s
            Assert.InRange(waits[i].TotalSeconds, ceiling / 2, ceiling);
        }
        Assert.True(waits[0] < waits[1] && waits[1] < waits[2], $"back-off did not grow: {string.Join(", ", waits)}");
    }

    [Fact]
    public async Task An_unusable_Retry_After_is_backed_off_instead()
    {
        Server.Then(503, null, ("Retry-After", "soon")).Then(200, "{}");

        var result = await SendAsync(Get(new RetryOptions { BaseDelay = TimeSpan.FromSeconds(1) }));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.InRange(Assert.Single(Time.Waits).TotalSeconds, 0.5, 1.0);
        Assert.Contains(Log.Lines, l => l.Contains("neither seconds nor an HTTP date"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_retry_count_bounds_the_attempts(int retries)
    {
        Server.Otherwise = (_, _) => Task.FromResult(FakeServer.Response(HttpStatusCode.ServiceUnavailable, null, ("Retry-After", "1")));

        var result = await SendAsync(Get(new RetryOptions { MaximumRetryCount = retries }));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, result.StatusCode);
        Assert.Equal(retries + 1, Server.Requests.Count);
        Assert.Equal(retries, Time.Waits.Count);
    }

    [Theory]
    [InlineData("GET", 502, 2)]
    [InlineData("GET", 504, 2)]
    [InlineData("PUT", 502, 2)]
    [InlineData("DELETE", 504, 2)]
    [InlineData("POST", 502, 1)]
    [InlineData("POST", 504, 1)]
    [InlineData("PATCH", 502, 1)]
    [InlineData("POST", 503, 2)]
    [InlineData("POST", 429, 2)]
    public async Task A_502_or_504_is_retried_only_for_idempotent_methods(string method, int status, int requests)
    {
        Server.Then(status).Then(200, "{}");

        var result = await SendAsync(ApiCall(new HttpMethod(method), "itwins", body: method is "GET" or "DELETE" ? null : "{\"n\":1}"));

        Assert.Equal(requests, Server.Requests.Count);
        Assert.Equal(requests == 2 ? HttpStatusCode.OK : (HttpStatusCode)status, result.StatusCode);
        Assert.All(Server.Requests, r => Assert.Equal(method, r.Method.Method));
    }

    public static TheoryData<string, Func<Exception>> TransportErrors => new()
    {
        { "GET", () => new HttpRequestException("Connection reset by peer") },
        { "GET", () => new IOException("Unable to read data from the transport connection") },
        { "HEAD", () => new HttpRequestException("An error occurred while sending the request.") },
        { "PUT", () => new IOException("Broken pipe") },
        { "POST", () => new HttpRequestException("Connection reset by peer") },
        { "POST", () => new IOException("Unable to read data from the transport connection") },
        { "PATCH", () => new HttpRequestException("Connection reset by peer") },
    };

    [Theory]
    [MemberData(nameof(TransportErrors))]
    public async Task A_transport_failure_is_retried_only_for_idempotent_methods(string method, Func<Exception> failure)
    {
        var idempotent = method is "GET" or "HEAD" or "PUT";
        Server.ThenThrow(failure).Then(200, "{}");
        var call = ApiCall(new HttpMethod(method), "itwins", body: method is "GET" or "HEAD" ? null : "{\"n\":1}");

        if (idempotent)
        {
            var result = await SendAsync(call);
            Assert.Equal(HttpStatusCode.OK, result.StatusCode);
            Assert.Equal(2, Server.Requests.Count);
            Assert.Single(Time.Waits);
        }
        else
        {
            var ex = await FailsAsync(call);
            Assert.Equal(ITwinErrorIds.ApiUnreachable, ex.ErrorId);
            Assert.Single(Server.Requests); // the server may have acted on it: not sent again
            Assert.Empty(Time.Waits);
        }
    }

    [Fact]
    public async Task A_failure_while_reading_the_body_is_retried_and_the_second_body_returned()
    {
        var broken = ScriptedBody.FailingAfter(100, () => new IOException("Connection reset by peer"));
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, broken.AsContent())).Then(200, "{\"second\":true}");

        var result = await SendAsync(Get());

        Assert.Equal("{\"second\":true}", System.Text.Encoding.UTF8.GetString(result.Body));
        Assert.Equal(100, broken.BytesRead);
        Assert.Equal(2, Server.Requests.Count);
        Assert.Single(Time.Waits);
    }

    [Fact]
    public async Task A_failure_while_reading_a_POSTs_body_is_not_sent_again()
    {
        var broken = ScriptedBody.FailingAfter(100, () => new IOException("Connection reset by peer"));
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, broken.AsContent())).Then(200, "{}");

        var ex = await FailsAsync(ApiCall(HttpMethod.Post, "itwins", body: "{\"n\":1}"));

        Assert.Equal(ITwinErrorIds.ApiUnreachable, ex.ErrorId);
        Assert.Single(Server.Requests);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task A_Retry_After_longer_than_the_deadline_is_not_waited(int status)
    {
        Server.Then(status, null, ("Retry-After", "600")).Then(200, "{}");
        var call = Get();
        call.Deadline = TimeSpan.FromSeconds(60);

        var result = await SendAsync(call);

        Assert.Equal((HttpStatusCode)status, result.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(600), result.RetryAfter);
        Assert.Single(Server.Requests);
        Assert.Empty(Time.Waits);
    }

    [Fact]
    public async Task A_back_off_that_would_pass_what_is_left_of_the_deadline_is_not_started()
    {
        // 25 s of the 30 s deadline gone by the second answer: a 10 s Retry-After no longer fits.
        Server.Then(503, null, ("Retry-After", "25")).Then(503, null, ("Retry-After", "10")).Then(200, "{}");
        var call = Get();
        call.Deadline = TimeSpan.FromSeconds(30);

        var result = await SendAsync(call);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, result.StatusCode);
        Assert.Equal(2, Server.Requests.Count);
        Assert.Equal(new[] { TimeSpan.FromSeconds(25) }, Time.Waits);
    }

    [Theory]
    [InlineData(HttpRequestError.InvalidResponse)]
    [InlineData(HttpRequestError.ConfigurationLimitExceeded)]
    public async Task A_response_that_breaks_HTTP_is_not_retried(HttpRequestError error)
    {
        Server.ThenThrow(() => new HttpRequestException(error, "The server returned an invalid or unrecognized response.")).Then(200, "{}");

        var ex = await FailsAsync(Get());

        Assert.Equal(ITwinErrorIds.ResponseInvalid, ex.ErrorId);
        Assert.Single(Server.Requests);
        Assert.Empty(Time.Waits);
    }

    [Fact]
    public async Task Every_attempt_carries_the_calls_one_correlation_id()
    {
        Server.Then(503, null, ("Retry-After", "1")).ThenThrow(() => new HttpRequestException("reset")).Then(200, "{}");
        var call = Get();

        await SendAsync(call);

        Assert.Equal(3, Server.Requests.Count);
        Assert.All(Server.Requests, r => Assert.Equal(call.CorrelationId, r.CorrelationId));
    }
}
