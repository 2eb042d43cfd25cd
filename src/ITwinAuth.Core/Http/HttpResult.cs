using System;
using System.Collections.Generic;
using System.Net;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;

namespace ITwinAuth.Core;

/// <summary>A response whose body has been read (unless it was streamed to a file).</summary>
public sealed class HttpResult
{
    private IReadOnlyDictionary<string, string[]>? _headers;
    private readonly HttpHeaders[] _received = Array.Empty<HttpHeaders>();

    public HttpResult(HttpMethod method, Uri uri, HttpStatusCode statusCode, string? reasonPhrase,
        IReadOnlyDictionary<string, string[]> headers, string? contentType, byte[] body, string? correlationId = null,
        TimeSpan? retryAfter = null)
        : this(method, uri, statusCode, reasonPhrase, contentType, body, correlationId, retryAfter)
    {
        _headers = headers;
    }

    /// <summary>From a response as received: its headers are copied only if someone asks for all of them.</summary>
    internal HttpResult(HttpMethod method, Uri uri, HttpResponseMessage response, string? reasonPhrase, byte[] body,
        string? correlationId, TimeSpan? retryAfter)
        : this(method, uri, response.StatusCode, reasonPhrase, response.Content.Headers.ContentType?.MediaType, body, correlationId, retryAfter)
    {
        _received = new HttpHeaders[] { response.Headers, response.Content.Headers };
    }

    private HttpResult(HttpMethod method, Uri uri, HttpStatusCode statusCode, string? reasonPhrase,
        string? contentType, byte[] body, string? correlationId, TimeSpan? retryAfter)
    {
        RetryAfter = retryAfter;
        CorrelationId = correlationId;
        Method = method;
        Uri = uri;
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
        ContentType = contentType;
        Body = body;
    }

    public HttpMethod Method { get; }
    public Uri Uri { get; }
    public HttpStatusCode StatusCode { get; }
    public string? ReasonPhrase { get; }
    public IReadOnlyDictionary<string, string[]> Headers => _headers ??= Copy(_received);
    public string? ContentType { get; }
    public byte[] Body { get; }

    /// <summary>The X-Correlation-Id the request carried.</summary>
    public string? CorrelationId { get; }
    public bool IsSuccess => (int)StatusCode >= 200 && (int)StatusCode < 300;

    /// <summary>The wait the server asked for, when its Retry-After header is usable.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>"METHOD uri" (query included: it names the request; a message excerpts it).</summary>
    public string Target => $"{Method.Method} {Uri}";

    public string? Header(string name)
    {
        if (_headers is not null)
            return _headers.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : null;
        foreach (var received in _received)
            if (received.TryGetValues(name, out var found))
                return found.FirstOrDefault();
        return null;
    }

    private static IReadOnlyDictionary<string, string[]> Copy(HttpHeaders[] received)
    {
        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in received)
            foreach (var header in part)
                headers[header.Key] = header.Value.ToArray();
        return headers;
    }
}
