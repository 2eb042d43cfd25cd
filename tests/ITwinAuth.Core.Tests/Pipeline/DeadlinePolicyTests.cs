using System.Diagnostics;
using System.Net;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>
/// DeadlinePolicy and the attempt timeout over a server that never answers. These are real, short
/// timeouts (0.3 s): what is tested is that a call ends, and with which message, not a wait.
/// </summary>
public sealed class DeadlinePolicyTests : PolicyTestBase
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    private static HttpCall Get(TimeSpan attempt, TimeSpan deadline, int retries = 0)
    {
        var call = ApiCall(HttpMethod.Get, "itwins");
        call.AttemptTimeout = attempt;
        call.Deadline = deadline;
        call.Retry = new RetryOptions { MaximumRetryCount = retries };
        return call;
    }

    private async Task<ITwinAuthException> TimesOutAsync(HttpCall call)
    {
        var watch = Stopwatch.StartNew();
        var ex = await FailsAsync(call);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the call took {watch.Elapsed}");
        Assert.Equal(ITwinErrorIds.RequestTimedOut, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.OperationTimeout, ex.Category);
        return ex;
    }

    [Fact]
    public async Task A_server_that_never_answers_ends_at_the_calls_deadline()
    {
        Server.Otherwise = FakeServer.Hang;

        var ex = await TimesOutAsync(Get(attempt: TimeSpan.FromSeconds(100), deadline: Short, retries: 4));

        Assert.Contains("overall deadline of 0.3 s", ex.Message);
        Assert.Contains("-TotalTimeoutSec", ex.Message);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task An_attempt_that_never_answers_ends_at_the_attempt_timeout_with_its_own_message()
    {
        Server.Otherwise = FakeServer.Hang;

        var ex = await TimesOutAsync(Get(attempt: Short, deadline: TimeSpan.FromSeconds(60)));

        Assert.Contains("within 0.3 s (-TimeoutSec)", ex.Message);
        Assert.DoesNotContain("overall deadline", ex.Message);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task A_timed_out_attempt_of_a_GET_is_retried()
    {
        Server.ThenHang().Then(200, "{}");

        var result = await SendAsync(Get(attempt: Short, deadline: TimeSpan.FromSeconds(60), retries: 1));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(2, Server.Requests.Count);
        Assert.Single(Time.Waits);
    }

    [Fact]
    public async Task A_body_that_stalls_ends_at_the_attempt_timeout()
    {
        var stalled = ScriptedBody.StallingAfter(10);
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, stalled.AsContent()));

        var ex = await TimesOutAsync(Get(attempt: Short, deadline: TimeSpan.FromSeconds(60)));

        Assert.Contains("(-TimeoutSec)", ex.Message);
        Assert.Equal(10, stalled.BytesRead);
    }

    [Fact]
    public async Task A_body_that_stalls_ends_at_the_calls_deadline()
    {
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, ScriptedBody.StallingAfter(10).AsContent()));

        var ex = await TimesOutAsync(Get(attempt: TimeSpan.FromSeconds(100), deadline: Short));

        Assert.Contains("overall deadline", ex.Message);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_a_timeout()
    {
        using var caller = new CancellationTokenSource();
        Server.Then(async (request, token) =>
        {
            caller.Cancel(); // Ctrl+C while the request is in flight
            return await FakeServer.Hang(request, token);
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SendAsync(Get(attempt: TimeSpan.FromSeconds(100), deadline: TimeSpan.FromSeconds(100), retries: 4), caller.Token));
        Assert.Single(Server.Requests);
    }
}
