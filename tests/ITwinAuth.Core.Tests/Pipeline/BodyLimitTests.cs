using System.Net;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>BodyReader through the pipeline: a body over its limit is refused, declared or not,
/// after reading at most the limit; HEAD reads nothing; an encoding left undecoded is refused.</summary>
public sealed class BodyLimitTests : PolicyTestBase
{
    private const long Limit = 64 * 1024;

    /// <summary>The reader's chunk: how far past the limit one read may go before it is noticed.</summary>
    private const long Chunk = 81920;

    private static HttpCall Get(long limit = Limit, HttpMethod? method = null)
    {
        var call = ApiCall(method ?? HttpMethod.Get, "itwins");
        call.MaximumBodyBytes = limit;
        return call;
    }

    [Fact]
    public async Task A_declared_Content_Length_over_the_limit_is_refused_before_reading()
    {
        var body = ScriptedBody.OfLength(Limit + 1);
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent(declaredLength: Limit + 1))).Then(200, "{}");

        var ex = await FailsAsync(Get());

        Assert.Equal(ITwinErrorIds.ResponseTooLarge, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.LimitsExceeded, ex.Category);
        Assert.Contains("declared", ex.Message);
        Assert.Equal(0, body.BytesRead);
        Assert.Single(Server.Requests); // not retried
    }

    [Fact]
    public async Task An_endless_body_without_a_length_is_refused_after_at_most_the_limit()
    {
        var body = ScriptedBody.Endless();
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent())).Then(200, "{}");

        var ex = await FailsAsync(Get());

        Assert.Equal(ITwinErrorIds.ResponseTooLarge, ex.ErrorId);
        Assert.InRange(body.BytesRead, Limit + 1, Limit + Chunk);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task A_body_that_declares_less_than_it_sends_is_still_held_to_the_limit()
    {
        var body = ScriptedBody.OfLength(4 * Limit);
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent(declaredLength: 10)));

        var ex = await FailsAsync(Get());

        Assert.Equal(ITwinErrorIds.ResponseTooLarge, ex.ErrorId);
        Assert.InRange(body.BytesRead, Limit + 1, Limit + Chunk);
    }

    [Fact]
    public async Task A_body_shorter_than_it_declared_is_what_arrived()
    {
        var body = ScriptedBody.OfLength(1000);
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent(declaredLength: 5000)));

        var result = await SendAsync(Get());

        Assert.Equal(1000, result.Body.Length);
    }

    [Fact]
    public async Task The_headers_are_read_after_the_response_is_gone()
    {
        Server.Then(_ =>
        {
            var response = FakeServer.Response(HttpStatusCode.OK, ScriptedBody.OfLength(10).AsContent(10));
            response.Headers.TryAddWithoutValidation("X-Twice", new[] { "one", "two" });
            response.Content.Headers.TryAddWithoutValidation("Content-Language", "fr");
            return response;
        });

        var result = await SendAsync(Get());

        Assert.Equal("one", result.Header("x-twice"));
        Assert.Equal("fr", result.Header("Content-Language"));
        Assert.Null(result.Header("X-Absent"));
        Assert.Equal(new[] { "one", "two" }, result.Headers["X-Twice"]);
        Assert.Equal(new[] { "10" }, result.Headers["Content-Length"]);
    }

    [Fact]
    public async Task A_declared_length_past_the_largest_array_at_the_largest_limit_is_ResponseTooLarge_not_OutOfMemory()
    {
        // -MaximumResponseSize takes up to int.MaxValue, but no byte array holds that many bytes.
        var body = ScriptedBody.OfLength(10);
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent(declaredLength: int.MaxValue)));

        var ex = await FailsAsync(Get(limit: int.MaxValue));

        Assert.Equal(ITwinErrorIds.ResponseTooLarge, ex.ErrorId);
        Assert.Equal(0, body.BytesRead);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_of_exactly_the_limit_is_read(bool declared)
    {
        var body = ScriptedBody.OfLength(Limit);
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent(declared ? Limit : null)));

        var result = await SendAsync(Get());

        Assert.Equal(Limit, result.Body.Length);
    }

    [Fact]
    public async Task An_error_status_body_is_held_to_the_limit_too()
    {
        var body = ScriptedBody.Endless();
        Server.Then(_ => FakeServer.Response(HttpStatusCode.InternalServerError, body.AsContent()));

        var ex = await FailsAsync(Get());

        Assert.Equal(ITwinErrorIds.ResponseTooLarge, ex.ErrorId);
        Assert.InRange(body.BytesRead, Limit + 1, Limit + Chunk);
    }

    [Fact]
    public async Task An_identity_response_is_held_to_the_identity_limit()
    {
        var body = ScriptedBody.Endless();
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent()));

        var ex = await FailsAsync(IdentityCall(HttpMethod.Post, "connect/token", "grant_type=client_credentials"));

        Assert.Equal(ITwinErrorIds.ResponseTooLarge, ex.ErrorId);
        Assert.InRange(body.BytesRead, HttpCall.IdentityBodyLimit + 1, HttpCall.IdentityBodyLimit + Chunk);
    }

    [Fact]
    public async Task HEAD_returns_an_empty_body_and_reads_none()
    {
        var body = ScriptedBody.Endless();
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent(declaredLength: 1L << 40)));

        var result = await SendAsync(Get(method: HttpMethod.Head));

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Empty(result.Body);
        Assert.Equal(0, body.BytesRead);
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    [InlineData("x-custom, identity")]
    public async Task A_Content_Encoding_left_undecoded_is_ResponseDecodingFailed(string encoding)
    {
        Server.Then(200, "{\"encoded\":true}", ("Content-Encoding", encoding)).Then(200, "{}");

        var ex = await FailsAsync(Get());

        Assert.Equal(ITwinErrorIds.ResponseDecodingFailed, ex.ErrorId);
        Assert.Equal(ITwinErrorCategory.InvalidData, ex.Category);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task Content_Encoding_identity_is_read_as_is()
    {
        Server.Then(200, "{\"plain\":true}", ("Content-Encoding", "identity"));

        var result = await SendAsync(Get());

        Assert.Equal("{\"plain\":true}", System.Text.Encoding.UTF8.GetString(result.Body));
    }

    [Fact]
    public async Task A_body_that_fails_to_decode_is_ResponseDecodingFailed_and_not_retried()
    {
        var body = ScriptedBody.FailingAfter(10, () => new InvalidDataException("The archive entry was compressed using an unsupported compression method."));
        Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, body.AsContent())).Then(200, "{}");

        var ex = await FailsAsync(Get());

        Assert.Equal(ITwinErrorIds.ResponseDecodingFailed, ex.ErrorId);
        Assert.Single(Server.Requests);
    }
}

/// <summary>What a declared Content-Length makes the reader hold before its bytes arrive: a server that
/// declares the limit and sends a few bytes (then closes or stalls) must not make each request of a
/// fan-out allocate the whole limit (16 such calls at -MaximumResponseSize 200MB peaked at 751 MB;
/// 32 at 2 GB at 10 GB, past their -TotalTimeoutSec).</summary>
[Collection(HeapMeasurementCollection.Name)]
public sealed class BodyAllocationTests : PolicyTestBase
{
    [Fact]
    public async Task A_declared_length_is_not_allocated_before_its_bytes_arrive()
    {
        const long declared = 1L << 30;
        const int calls = 3;
        for (var i = 0; i < calls; i++)
            Server.Then(_ => FakeServer.Response(HttpStatusCode.OK, ScriptedBody.OfLength(1000).AsContent(declaredLength: declared)));

        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < calls; i++)
        {
            var call = ApiCall(HttpMethod.Get, "itwins");
            call.MaximumBodyBytes = declared;
            Assert.Equal(1000, (await SendAsync(call)).Body.Length);
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(allocated < 256L << 20, $"{calls} bodies of 1,000 bytes that declared 1 GiB each allocated {allocated / (1 << 20):N0} MiB");
    }
}
