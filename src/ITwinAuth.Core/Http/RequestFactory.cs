using System;
using System.Net.Http;
using System.Net.Http.Headers;

namespace ITwinAuth.Core;

/// <summary>Builds one attempt's request from a call and its hop: only what the hop may carry.</summary>
internal static class RequestFactory
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public static HttpRequestMessage Build(HttpCall call, Hop hop, ITwinAccessToken? token)
    {
        var request = new HttpRequestMessage(hop.Method, hop.Uri);
#if NET
        // HTTP/2 where TLS negotiates it (ALPN), so a fan-out multiplexes on one connection; HTTP/1.1
        // where it does not, and always on plain http (no cleartext h2). Windows PowerShell stays on 1.1.
        request.Version = System.Net.HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
#endif
        var content = hop.CarriesBody ? call.Content?.Invoke() : null;
        // A request without content may be sent again by the handler after a connection failure; an
        // empty body (Content-Length: 0) rules that out for a method that is not idempotent.
        if (content is null && !RetryPolicy.IsIdempotent(hop.Method))
            content = new ByteArrayContent(Array.Empty<byte>());
        request.Content = content;

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
}
