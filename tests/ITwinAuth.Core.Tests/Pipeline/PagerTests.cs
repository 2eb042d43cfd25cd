using System.Net;
using System.Text.Json;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>The Pager over a fake server: a listing ends at a cycle, a stall, its one deadline, or a
/// page from another host, after exactly the pages before it.</summary>
public sealed class PagerTests : PolicyTestBase
{
    /// <summary>A bound on the fake's pages, so a listing that never ends fails instead of hanging.</summary>
    private const int Runaway = 200;

    private readonly FakeTokens _tokens;

    public PagerTests() => _tokens = NewTokens();

    /// <summary>Keeps what the listing wrote.</summary>
    private sealed class Sink : IPageSink
    {
        public List<HttpResult> Responses { get; } = new();
        public List<string> Items { get; } = new();
        public List<HttpResult> Wholes { get; } = new();

        public Task ResponseAsync(HttpResult result)
        {
            Responses.Add(result);
            return Task.CompletedTask;
        }

        public Task WholeAsync(HttpResult result)
        {
            Wholes.Add(result);
            return Task.CompletedTask;
        }

        public Task ItemsAsync(Page page, int skip, int take, string progress)
        {
            Items.AddRange(page.RawItems(skip).Take(take));
            return Task.CompletedTask;
        }
    }

    private readonly Sink _sink = new();

    /// <summary>A page of <paramref name="items"/> named after its path, linking to <paramref name="next"/>.</summary>
    private static HttpResponseMessage PageOf(Uri uri, int items, string? next)
    {
        var name = uri.AbsolutePath.Trim('/');
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["iTwins"] = Enumerable.Range(1, items).Select(i => new { id = $"{name}-{i}" }).ToArray(),
            ["_links"] = next is null ? new { } : new { next = new { href = next } },
        });
        return FakeServer.Response(HttpStatusCode.OK, json);
    }

    /// <summary>Answers every request from <paramref name="page"/>, until the runaway bound.</summary>
    private void Pages(Func<FakeServer.Received, HttpResponseMessage> page) =>
        Server.Otherwise = (request, _) => Task.FromResult(request.Index > Runaway ? PageOf(request.Uri, 0, null) : page(request));

    private Task<PagingOutcome> ListAsync(string path = "itwins", TimeSpan? deadline = null) =>
        new Pager(0, ulong.MaxValue).RunAsync(Context, uri =>
        {
            var call = ApiClient.NewCall(HttpMethod.Get, uri, _tokens, null, null);
            if (deadline is { } span) call.Deadline = span;
            return call;
        }, new Uri(Api, path), false, _sink, Log, default);

    private async Task<ITwinAuthException> ListFailsAsync(string path = "itwins", TimeSpan? deadline = null) =>
        await Assert.ThrowsAsync<ITwinAuthException>(() => ListAsync(path, deadline));

    [Fact]
    public async Task A_listing_follows_its_next_links_with_one_correlation_id()
    {
        Server.Then(r => PageOf(r.Uri, 2, "/p2")).Then(r => PageOf(r.Uri, 2, "https://api.bentley.com/p3")).Then(r => PageOf(r.Uri, 1, null));

        var outcome = await ListAsync();

        Assert.True(outcome.Complete);
        Assert.Equal(3, outcome.Pages);
        Assert.Equal(5, _sink.Items.Count);
        Assert.Single(Server.Requests.Select(r => r.CorrelationId).Distinct());
        Assert.All(Server.Requests, r => Assert.Equal("Bearer token-1", r.Authorization));
    }

    [Fact]
    public async Task A_next_link_to_the_page_itself_is_PagingCycle_after_that_page()
    {
        Pages(r => PageOf(r.Uri, 2, r.Uri.AbsoluteUri));

        var ex = await ListFailsAsync();

        Assert.Equal(ITwinErrorIds.PagingCycle, ex.ErrorId);
        Assert.Single(Server.Requests);
        Assert.Equal(new[] { "{\"id\":\"itwins-1\"}", "{\"id\":\"itwins-2\"}" }, _sink.Items);
    }

    [Fact]
    public async Task A_cycle_of_three_pages_is_PagingCycle_after_the_three()
    {
        // itwins -> b -> c -> itwins
        var next = new Dictionary<string, string> { ["/itwins"] = "/b", ["/b"] = "c", ["/c"] = "https://api.bentley.com/itwins" };
        Pages(r => PageOf(r.Uri, 1, next[r.Uri.AbsolutePath]));

        var ex = await ListFailsAsync();

        Assert.Equal(ITwinErrorIds.PagingCycle, ex.ErrorId);
        Assert.Equal(new[] { "/itwins", "/b", "/c" }, Server.Requests.Select(r => r.Uri.AbsolutePath));
        Assert.Equal(3, _sink.Items.Count);
        Assert.Contains("page 3", ex.Message);
    }

    [Fact]
    public async Task A_cycle_whose_links_differ_only_by_their_fragment_is_still_a_cycle()
    {
        // itwins -> b#1 -> itwins#2: a fragment is never sent, so the third link is the first page again.
        var next = new Dictionary<string, string> { ["/itwins"] = "/b#1", ["/b"] = "/itwins#2" };
        Pages(r => PageOf(r.Uri, 1, next[r.Uri.AbsolutePath]));

        var ex = await ListFailsAsync();

        Assert.Equal(ITwinErrorIds.PagingCycle, ex.ErrorId);
        Assert.Equal(new[] { "/itwins", "/b" }, Server.Requests.Select(r => r.Uri.AbsolutePath));
    }

    [Fact]
    public async Task Ten_empty_pages_in_a_row_that_keep_linking_are_PagingStalled()
    {
        Pages(r => PageOf(r.Uri, 0, $"/p{r.Index + 1}"));

        var ex = await ListFailsAsync();

        Assert.Equal(ITwinErrorIds.PagingStalled, ex.ErrorId);
        Assert.Equal(Pager.MaximumEmptyPagesInARow, Server.Requests.Count);
    }

    [Fact]
    public async Task Nine_empty_pages_then_items_is_not_a_stall()
    {
        // 9 empty, 1 with an item, 9 empty, the last: 20 pages, never 10 empty in a row.
        Pages(r => PageOf(r.Uri, r.Index == 10 ? 1 : 0, r.Index < 20 ? $"/p{r.Index + 1}" : null));

        var outcome = await ListAsync();

        Assert.True(outcome.Complete);
        Assert.Equal(20, outcome.Pages);
        Assert.Single(_sink.Items);
    }

    [Fact]
    public async Task An_endless_listing_ends_at_its_one_deadline_across_pages()
    {
        // Each page takes the server 1 s (on the fake clock); the listing has 5 s in all.
        Pages(r =>
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            return PageOf(r.Uri, 3, $"/p{r.Index + 1}");
        });

        var ex = await ListFailsAsync(deadline: TimeSpan.FromSeconds(5));

        Assert.Equal(ITwinErrorIds.RequestTimedOut, ex.ErrorId);
        Assert.Equal(5, Server.Requests.Count);
        Assert.Equal(15, _sink.Items.Count);
        Assert.Contains("5 page(s)", ex.Message);
    }

    [Fact]
    public async Task A_retry_wait_that_would_pass_the_listings_deadline_is_not_started()
    {
        // Page 1 takes 4 s of the 5: the 2 s Retry-After of page 2 does not fit in what is left.
        Server.Then(r =>
        {
            Time.Advance(TimeSpan.FromSeconds(4));
            return PageOf(r.Uri, 1, "/p2");
        }).Then(503, null, ("Retry-After", "2")).Then(r => PageOf(r.Uri, 1, null));

        var ex = await Assert.ThrowsAnyAsync<ITwinAuthException>(() => ListAsync(deadline: TimeSpan.FromSeconds(5)));

        Assert.Equal(2, Server.Requests.Count);
        Assert.Empty(Time.Waits);
        Assert.Equal((HttpStatusCode)503, Assert.IsType<ITwinApiException>(ex).StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example/itwins?$skip=2")]
    [InlineData("//evil.example/itwins")]
    [InlineData("http://api.bentley.com/itwins?$skip=2")]
    [InlineData("https://api.bentley.com:444/itwins?$skip=2")]
    public async Task A_next_link_to_another_host_is_ForeignHostRefused_and_not_followed(string next)
    {
        Pages(r => PageOf(r.Uri, 2, next));

        var ex = await ListFailsAsync();

        Assert.Equal(ITwinErrorIds.ForeignHostRefused, ex.ErrorId);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task A_page_redirected_to_another_host_is_ForeignHostRefused()
    {
        Server.Then(r => PageOf(r.Uri, 2, "/p2"))
            .ThenRedirect(302, "https://cdn.example/p2")
            .Then(r => PageOf(r.Uri, 2, "https://api.bentley.com/p3"));
        Pages(r => PageOf(r.Uri, 2, null));

        var ex = await ListFailsAsync();

        Assert.Equal(ITwinErrorIds.ForeignHostRefused, ex.ErrorId);
        Assert.Equal(new[] { "api.bentley.com", "api.bentley.com", "cdn.example" }, Server.Requests.Select(r => r.Uri.Host));
        Assert.Null(Server.Requests[2].Authorization);
        Assert.Equal(new[] { "{\"id\":\"itwins-1\"}", "{\"id\":\"itwins-2\"}" }, _sink.Items); // nothing of the foreign page
    }
}

// Measures the managed heap, so nothing else may run beside it.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    public const string Name = "Heap measurements";
}

/// <summary>What a listing keeps while it pages: no more for long next links than for short ones.</summary>
[Collection(HeapMeasurementCollection.Name)]
public sealed class PagerMemoryTests
{
    private const int LinkLength = 60_000;

    /// <summary>Page n links to page n + 1 through a link of <see cref="LinkLength"/> characters; nothing is kept.</summary>
    private sealed class EndlessLongLinks : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var page = int.Parse(request.RequestUri!.AbsolutePath.TrimStart('/').Substring(1), System.Globalization.CultureInfo.InvariantCulture);
            var next = $"https://api.bentley.com/p{page + 1}?pad={new string('p', LinkLength)}";
            var json = JsonSerializer.Serialize(new { iTwins = new[] { new { id = $"p{page}" } }, _links = new { next = new { href = next } } });
            return Task.FromResult(FakeServer.Response(HttpStatusCode.OK, json));
        }
    }

    private sealed class Enough : Exception { }

    /// <summary>Takes the heap's size after the 100th page and after the 1,000th, then stops the listing.</summary>
    private sealed class HeapSink : IPageSink
    {
        private int _pages;
        public long At100 { get; private set; }
        public long At1000 { get; private set; }

        public Task ResponseAsync(HttpResult result) => Task.CompletedTask;
        public Task WholeAsync(HttpResult result) => Task.CompletedTask;

        public Task ItemsAsync(Page page, int skip, int take, string progress)
        {
            switch (++_pages)
            {
                case 100:
                    At100 = GC.GetTotalMemory(forceFullCollection: true);
                    break;
                case 1000:
                    At1000 = GC.GetTotalMemory(forceFullCollection: true);
                    throw new Enough();
            }
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task The_pages_a_listing_remembers_for_its_cycle_check_cost_the_same_whatever_the_length_of_their_links()
    {
        // A server can make every next link as long as a URI may be (about 64 K characters) and the listing
        // endless: what the pager remembers of 900 such pages must not hold their links (900 x 120 KB).
        var time = new FakeTime();
        using var context = new ClientContext(time, new EndlessLongLinks());
        var tokens = new FakeTokens(new Uri("https://api.bentley.com/"), time);
        var sink = new HeapSink();

        await Assert.ThrowsAsync<Enough>(() => new Pager(0, ulong.MaxValue).RunAsync(context,
            uri => ApiClient.NewCall(HttpMethod.Get, uri, tokens, null, null), new Uri("https://api.bentley.com/p1"), false, sink, NullLogSink.Instance, default));

        var grown = sink.At1000 - sink.At100;
        Assert.True(grown < 8L << 20, $"The heap grew by {grown / (1 << 20)} MiB over 900 pages with next links of {LinkLength:N0} characters.");
    }
}
