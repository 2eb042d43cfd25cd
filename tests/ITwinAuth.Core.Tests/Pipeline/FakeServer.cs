using System.Net;
using System.Text;
using Xunit;

namespace ITwinAuth.Core.Tests.Policies;

/// <summary>
/// The transport of a test's <see cref="ClientContext"/>: it answers each request with the next entry
/// of a script (then with <see cref="Otherwise"/>), and keeps every request as a server would have
/// received it: method, URI, every header, and the body, serialized inside SendAsync as a socket
/// would, never buffered, so a second serialization of a body that may be sent only once shows.
/// A request whose body cannot be serialized never reached the server, so it is not kept.
/// </summary>
public sealed class FakeServer : HttpMessageHandler
{
    /// <summary>What answers one request: the request as received, and the attempt's cancellation.</summary>
    public delegate Task<HttpResponseMessage> Answer(Received request, CancellationToken cancellationToken);

    private readonly Queue<Answer> _script = new();
    private readonly List<Received> _received = new();

    /// <summary>Answers once the script is used up; by default, fails the test.</summary>
    public Answer Otherwise { get; set; } = (request, _) =>
        throw new InvalidOperationException($"The fake server has no answer for request {request.Index}: {request.Method} {request.Uri}.");

    /// <summary>Every request that reached the server, in order.</summary>
    public IReadOnlyList<Received> Requests { get { lock (_received) return _received.ToList(); } }

    /// <summary>Serialize the next request's body twice, as .NET's handler does when it re-sends a
    /// request on a new connection; each serialization that succeeds is a delivery.</summary>
    public int DeliveriesPerRequest { get; set; } = 1;

    public FakeServer Then(Answer answer)
    {
        lock (_script) _script.Enqueue(answer);
        return this;
    }

    public FakeServer Then(Func<Received, HttpResponseMessage> answer) => Then((request, _) => Task.FromResult(answer(request)));

    public FakeServer Then(HttpStatusCode status, string? body = null, params (string Name, string Value)[] headers) =>
        Then(_ => Response(status, body, headers));

    public FakeServer Then(int status, string? body = null, params (string Name, string Value)[] headers) =>
        Then((HttpStatusCode)status, body, headers);

    public FakeServer ThenRedirect(int status, string location) => Then(status, null, ("Location", location));

    public FakeServer ThenThrow(Func<Exception> exception) => Then((_, _) => throw exception());

    /// <summary>Never answers: waits until the attempt is cancelled (a timeout test, not a sleep).</summary>
    public FakeServer ThenHang() => Then(Hang);

    public static async Task<HttpResponseMessage> Hang(Received request, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("unreachable");
    }

    public static HttpResponseMessage Response(HttpStatusCode status, string? body = null, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = body is null ? new ByteArrayContent(Array.Empty<byte>()) : new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
            if (!response.Headers.TryAddWithoutValidation(name, value))
                response.Content.Headers.TryAddWithoutValidation(name, value);
        return response;
    }

    public static HttpResponseMessage Response(HttpStatusCode status, HttpContent content) => new(status) { Content = content };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Received? received = null;
        for (var delivery = 0; delivery < Math.Max(1, DeliveriesPerRequest); delivery++)
            received = await ReceiveAsync(request, cancellationToken);

        Answer answer;
        lock (_script) answer = _script.Count > 0 ? _script.Dequeue() : Otherwise;
        var response = await answer(received!, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }

    private async Task<Received> ReceiveAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        byte[]? body = null;
        var chunked = false;
        if (request.Content is { } content)
        {
            // The framing a real handler picks: Content-Length when the content knows it, else chunked.
            chunked = content.Headers.ContentLength is null;
            // Not ReadAsByteArrayAsync: that buffers, and a buffered body is never serialized again.
            using var wire = new MemoryStream();
            await content.CopyToAsync(wire, cancellationToken);
            body = wire.ToArray();
        }
        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
            headers[header.Key] = header.Value.ToArray();
        if (chunked) headers["Transfer-Encoding"] = new[] { "chunked" };
        lock (_received)
        {
            var received = new Received(_received.Count + 1, request.Method, request.RequestUri!, headers, body);
            _received.Add(received);
            return received;
        }
    }

    /// <summary>One request as the server saw it.</summary>
    public sealed record Received(int Index, HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string[]> Headers, byte[]? Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var values) ? string.Join(", ", values) : null;
        public string? Authorization => Header("Authorization");
        public string? CorrelationId => Header("X-Correlation-Id");
        public string BodyText => Body is null ? string.Empty : Encoding.UTF8.GetString(Body);
        public bool HasBody => Body is { Length: > 0 };
    }
}

/// <summary>A token source that counts what the pipeline asks of it. Its token is "token-N", N
/// going up after each <see cref="Rejected"/>, so a server can tell a renewed token from the old.</summary>
public sealed class FakeTokens : ITokenSource
{
    private readonly Clock _clock;
    private int _gets;
    private int _generation = 1;
    private readonly List<string> _rejected = new();

    public ProxySettings? Proxy => null;

    public FakeTokens(Uri apiBaseUri, Clock clock, string clientId = "client-a", bool canRenew = true)
    {
        ApiBaseUri = apiBaseUri;
        _clock = clock;
        ClientId = clientId;
        CanRenew = canRenew;
    }

    public Uri ApiBaseUri { get; }
    public string ClientId { get; }
    public bool CanRenew { get; }
    public int Gets => Volatile.Read(ref _gets);
    public IReadOnlyList<string> RejectedTokens { get { lock (_rejected) return _rejected.ToList(); } }

    /// <summary>The Authorization header the current token makes.</summary>
    public string Header(int generation) => $"Bearer token-{generation}";

    public Task<ITwinAccessToken> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _gets);
        return Task.FromResult(Make($"token-{Volatile.Read(ref _generation)}"));
    }

    public void Rejected(ITwinAccessToken token)
    {
        lock (_rejected) _rejected.Add(SecretText.Use(token.SecureToken, t => t));
        Interlocked.Increment(ref _generation);
    }

    private ITwinAccessToken Make(string value)
    {
        var authority = new Uri("https://ims.bentley.com/");
        var lifetime = TimeSpan.FromHours(1);
        var key = new TokenCacheKey(TokenCacheKey.NormalizeAuthority(authority), ClientId, "itwin-platform", "fingerprint");
        return new ITwinAccessToken(SecretText.ToSecureString(value), "Bearer", lifetime, _clock.UtcNow, _clock.After(_clock.Now, lifetime),
            new[] { "itwin-platform" }, ClientId, authority, key, fromCache: false, _clock);
    }
}

/// <summary>Response bodies that misbehave: endless, failing or stalling part-way, counting what was read.</summary>
public sealed class ScriptedBody : Stream
{
    private readonly long _bytesBeforeEnd;
    private readonly Func<Exception>? _failure;
    private readonly bool _stall;
    private readonly CancellationTokenSource _disposed = new();
    private long _read;

    private ScriptedBody(long bytesBeforeEnd, Func<Exception>? failure, bool stall)
    {
        _bytesBeforeEnd = bytesBeforeEnd;
        _failure = failure;
        _stall = stall;
    }

    /// <summary>Bytes without end.</summary>
    public static ScriptedBody Endless() => new(long.MaxValue, null, false);

    /// <summary><paramref name="bytes"/> bytes, then the end of the body.</summary>
    public static ScriptedBody OfLength(long bytes) => new(bytes, null, false);

    /// <summary><paramref name="bytes"/> bytes, then <paramref name="failure"/> (a connection reset mid-body).</summary>
    public static ScriptedBody FailingAfter(long bytes, Func<Exception> failure) => new(bytes, failure, false);

    /// <summary><paramref name="bytes"/> bytes, then nothing more until the read is cancelled or the stream disposed.</summary>
    public static ScriptedBody StallingAfter(long bytes) => new(bytes, null, true);

    /// <summary>How many bytes the reader took.</summary>
    public long BytesRead => Interlocked.Read(ref _read);

    /// <summary>As a response body without Content-Length (chunked).</summary>
    public HttpContent AsContent(long? declaredLength = null)
    {
        var content = new StreamContent(this);
        if (declaredLength is { } length) content.Headers.ContentLength = length;
        return content;
    }

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        await ReadAsync(buffer.AsMemory(offset, count), cancellationToken);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var left = _bytesBeforeEnd - BytesRead;
        if (left <= 0)
        {
            if (_failure is not null) throw _failure();
            if (_stall)
            {
                using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
                await Task.Delay(Timeout.Infinite, both.Token);
            }
            return 0;
        }
        var n = (int)Math.Min(buffer.Length, Math.Min(left, 16384));
        buffer.Span.Slice(0, n).Fill((byte)'x');
        Interlocked.Add(ref _read, n);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed.IsCancellationRequested) _disposed.Cancel();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A context on a fake clock over a fake server, and calls to it.</summary>
public abstract class PolicyTestBase : IDisposable
{
    protected static readonly Uri Api = new("https://api.bentley.com/");
    protected static readonly Uri Authority = new("https://ims.bentley.com/");

    protected PolicyTestBase()
    {
        Time = new FakeTime();
        Server = new FakeServer();
        Context = new ClientContext(Time, Server);
    }

    protected FakeTime Time { get; }
    protected FakeServer Server { get; }
    protected ClientContext Context { get; }
    protected RecordingLog Log { get; } = new();

    protected FakeTokens NewTokens(string clientId = "client-a", bool canRenew = true, Uri? api = null) =>
        new(api ?? Api, Time, clientId, canRenew);

    /// <summary>An API call to <paramref name="path"/> under <see cref="Api"/> (or an absolute URI on any host).</summary>
    protected static HttpCall ApiCall(HttpMethod method, string path, ITokenSource? tokens = null, string? body = null, Uri? api = null)
    {
        var origin = api ?? tokens?.ApiBaseUri ?? Api;
        var call = new HttpCall(method, new Uri(origin, path), CredentialBoundary.ForApi(origin)) { Tokens = tokens };
        if (body is not null) call.Content = () => new StringContent(body, Encoding.UTF8, "application/json");
        return call;
    }

    protected static HttpCall IdentityCall(HttpMethod method, string path, string? form = null)
    {
        var call = new HttpCall(method, new Uri(Authority, path), CredentialBoundary.ForIdentity(Authority));
        if (form is not null) call.Content = () => new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded");
        return call;
    }

    protected Task<HttpResult> SendAsync(HttpCall call, CancellationToken cancellationToken = default) =>
        Context.Pipeline.SendAsync(call, Log, cancellationToken);

    protected async Task<ITwinAuthException> FailsAsync(HttpCall call, CancellationToken cancellationToken = default) =>
        await Assert.ThrowsAsync<ITwinAuthException>(() => SendAsync(call, cancellationToken));

    public void Dispose()
    {
        Context.Dispose();
        Time.Dispose();
    }
}
