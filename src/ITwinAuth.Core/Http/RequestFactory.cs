using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Builds one attempt's request from a call and its hop: only what the hop may carry.</summary>
internal static class RequestFactory
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public static readonly string UserAgent =
        "ITwinAuth/" + (typeof(RequestFactory).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0");

    public static HttpRequestMessage Build(HttpCall call, Hop hop, ITwinAccessToken? token)
    {
        var request = new HttpRequestMessage(hop.Method, hop.Uri);
#if NET
        // HTTP/2 where TLS negotiates it (ALPN), so a fan-out multiplexes on one connection; HTTP/1.1
        // where it does not, and always on plain http (no cleartext h2: asking would only cost time).
        // Windows PowerShell stays on 1.1.
        if (hop.Uri.Scheme == Uri.UriSchemeHttps)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }
#else
        // No Expect: 100-continue: the body goes with the headers, in one round trip.
        request.Headers.ExpectContinue = false;
#endif
        var content = hop.CarriesBody ? call.Content?.Invoke() : null;
        // At most once, whatever the transport: the handler itself re-sends a request after some
        // failures (a reused connection that closed, an HTTP/2 stream the server refused, even after it
        // took the body). A request that is not idempotent carries a body that can be sent only once,
        // an empty one if it has none, so such a re-send fails instead of reaching the server twice.
        if (!ResponseClassifier.IsIdempotent(call, hop))
            content = new SendOnce(content ?? new ByteArrayContent(Array.Empty<byte>()));
        request.Content = content;

        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        foreach (var header in call.Headers) Add(request, header.Key, header.Value);
        request.Headers.TryAddWithoutValidation(CorrelationHeader, call.CorrelationId);
        if (hop.CarriesCredentials)
            foreach (var header in call.CallerHeaders) Add(request, header.Key, header.Value);
        if (token is not null)
            request.Headers.Authorization = SecretText.Use(token.SecureToken, t => new AuthenticationHeaderValue(token.TokenType, t));
        return request;
    }

    private static void Add(HttpRequestMessage request, string name, string value)
    {
        if (request.Headers.TryAddWithoutValidation(name, value) || request.Content is not { } content) return;
        content.Headers.Remove(name);
        content.Headers.TryAddWithoutValidation(name, value);
    }

    /// <summary>A body that refuses to be written a second time.</summary>
    private sealed class SendOnce : HttpContent
    {
        private readonly HttpContent _inner;
        private int _sent;

        public SendOnce(HttpContent inner)
        {
            _inner = inner;
            foreach (var header in inner.Headers)
                if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
                    Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            if (Interlocked.Exchange(ref _sent, 1) != 0)
                throw new HttpRequestException("The request was not idempotent and its body was already sent once; it is not sent again.");
            return _inner.CopyToAsync(stream);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
