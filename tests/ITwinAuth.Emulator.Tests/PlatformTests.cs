using System.Net;
using System.Net.Http.Json;
using System.Text;
using Xunit;

namespace ITwinAuth.Emulator.Tests;

/// <summary>The platform's conventions as the emulator shows them, the README snippets it answers, and
/// its fault injection, seen by a plain HTTP client.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class PlatformTests(EmulatorFixture emulator) : IAsyncLifetime
{
    private string _token = null!;

    public async Task InitializeAsync()
    {
        emulator.Host.State.Faults.Clear();
        _token = await emulator.TokenAsync(emulator.Register());
    }

    public Task DisposeAsync()
    {
        emulator.Host.State.Faults.Clear();
        emulator.Host.State.LatencyMs = 0;
        return Task.CompletedTask;
    }

    private async Task<string> FirstITwinIdAsync()
    {
        using var response = await emulator.GetAsync(_token, "itwins?$top=1");
        return (await Api.JsonAsync(response)).GetProperty("iTwins")[0].GetProperty("id").GetString()!;
    }

    private async Task<HttpResponseMessage> PostITwinAsync(object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(emulator.Host.ApiBaseUri, "itwins")) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", _token);
        request.Headers.Accept.ParseAdd(Api.V1);
        return await emulator.Http.SendAsync(request);
    }

    [Fact]
    public async Task POST_itwins_creates_an_iTwin_that_GET_itwins_id_returns()
    {
        using var created = await PostITwinAsync(new { displayName = "New", @class = "Endeavor", subClass = "Project" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var iTwin = (await Api.JsonAsync(created)).GetProperty("iTwin");
        Assert.Equal("New", iTwin.GetProperty("displayName").GetString());
        Assert.Equal("Endeavor", iTwin.GetProperty("class").GetString());
        Assert.Equal("Active", iTwin.GetProperty("status").GetString());
        var id = iTwin.GetProperty("id").GetGuid();
        Assert.NotEqual(Guid.Empty, id);
        using var read = await emulator.GetAsync(_token, $"itwins/{id}");
        Assert.Equal("New", (await Api.JsonAsync(read)).GetProperty("iTwin").GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task POST_itwins_without_a_displayName_is_a_422_InvalidiTwinsRequest()
    {
        using var response = await PostITwinAsync(new { @class = "Endeavor", subClass = "Project" });
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Equal("InvalidiTwinsRequest", await Api.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task The_iModels_API_v2_lists_two_iModels_of_an_iTwin_and_404s_an_unknown_one()
    {
        var iTwinId = await FirstITwinIdAsync();
        using var listed = await emulator.GetAsync(_token, $"imodels?iTwinId={iTwinId}", Api.V2, ("Prefer", "return=representation"));
        var iModels = (await Api.JsonAsync(listed)).GetProperty("iModels");
        Assert.Equal(2, iModels.GetArrayLength());
        Assert.Equal(iTwinId, iModels[0].GetProperty("iTwinId").GetString());
        Assert.Equal("initialized", iModels[0].GetProperty("state").GetString());
        using var unknown = await emulator.GetAsync(_token, $"imodels?iTwinId={Guid.NewGuid()}", Api.V2);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("iTwinNotFound", await Api.ErrorCodeAsync(unknown));
    }

    [Fact]
    public async Task An_iTwins_listing_stops_at_X_Max_Return_default_1000_and_echoes_it()
    {
        var next = "itwins?$top=500";
        var total = 0;
        string? echoed = null;
        while (next is not null)
        {
            using var response = await emulator.GetAsync(_token, next);
            echoed ??= response.Headers.TryGetValues("X-Max-Return", out var values) ? values.Single() : null;
            var page = await Api.JsonAsync(response);
            total += page.GetProperty("iTwins").GetArrayLength();
            next = page.GetProperty("_links").TryGetProperty("next", out var link) && link.ValueKind == System.Text.Json.JsonValueKind.Object
                ? link.GetProperty("href").GetString()
                : null;
        }
        Assert.Equal(1000, total);
        Assert.Equal("1000", echoed);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10001")]
    [InlineData("many")]
    public async Task An_X_Max_Return_out_of_range_is_a_422_in_the_iTwin_error_shape(string value)
    {
        using var response = await emulator.GetAsync(_token, "itwins", null, ("X-Max-Return", value));
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Equal("InvalidiTwinsRequest", await Api.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Reality_data_pages_by_an_opaque_continuation_token_and_refuses_one_it_did_not_make()
    {
        var iTwinId = await FirstITwinIdAsync();
        using var first = await emulator.GetAsync(_token, $"realitydata?iTwinId={iTwinId}&$top=100");
        var page = await Api.JsonAsync(first);
        Assert.Equal(100, page.GetProperty("realityData").GetArrayLength());
        var next = page.GetProperty("_links").GetProperty("next").GetProperty("href").GetString()!;
        Assert.Matches("continuationToken=[A-Za-z0-9_%-]+", next);
        Assert.DoesNotContain("skip", next);
        using var forged = await emulator.GetAsync(_token, $"realitydata?iTwinId={iTwinId}&continuationToken=b2Zmc2V0OjEwMA");
        Assert.Equal((HttpStatusCode)422, forged.StatusCode);
    }

    [Fact]
    public async Task A_429_fault_answers_as_the_platform_does_TooManyRequests_and_the_four_RateLimited_headers()
    {
        emulator.Host.State.Faults.Arm(new[] { new FaultRule { Path = "/users/me", Status = 429, RetryAfterSeconds = 7 } });
        using var response = await emulator.GetAsync(_token, "users/me");
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
        foreach (var name in new[] { "Tier", "API", "Operation", "Application" })
            Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("ITwinPlatform-RateLimited-" + name).Single()), name);
        var error = (await Api.JsonAsync(response)).GetProperty("error");
        Assert.Equal("TooManyRequests", error.GetProperty("code").GetString());
        Assert.Equal("More requests were received than the subscription rate-limit allows.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_fault_rule_with_its_own_body_answers_with_that_body()
    {
        emulator.Host.State.Faults.Arm(new[] { new FaultRule { Path = "/users/me", Status = 429, Times = -1, Body = """{"error":{"code":"RateLimitExceeded","message":"Rate limit exceeded."}}""" } });
        using var response = await emulator.GetAsync(_token, "users/me");
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("RateLimitExceeded", await Api.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task A_fault_passes_Skip_requests_then_hits_Times_requests_and_is_gone()
    {
        // Armed through the admin endpoint, as a test script arms it.
        using (var armed = await emulator.Http.PostAsync(new Uri(emulator.Host.Authority, "_emulator/faults"),
                   new StringContent("""[{"path":"/users/me","status":503,"skip":1,"times":2}]""", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, armed.StatusCode);
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await emulator.GetAsync(_token, "users/me");
            statuses.Add((int)response.StatusCode);
        }
        Assert.Equal(new[] { 200, 503, 503, 200 }, statuses);
        Assert.Equal(0, emulator.Host.State.Faults.Armed);
    }

    [Fact]
    public async Task Holds_each_API_request_for_the_latency_set_at_run_time()
    {
        // The hold goes through the state's seam: the test sees what was asked and decides when it ends.
        var asked = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        emulator.Host.State.Hold = (span, cancel) => { asked.TrySetResult(span); return release.Task.WaitAsync(cancel); };
        try
        {
            using (var set = await emulator.Http.PutAsJsonAsync(new Uri(emulator.Host.Authority, "_emulator/settings"), new { latencyMs = 300 }))
                Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            var answer = emulator.GetAsync(_token, "users/me");
            Assert.Equal(TimeSpan.FromMilliseconds(300), await asked.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(answer.IsCompleted, "the API answered while its hold was still on");
            release.SetResult();
            using var response = await answer;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally { emulator.Host.State.Hold = Task.Delay; }
    }
}
