using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>A response whose body has been read (unless it was streamed to a file).</summary>
public sealed class HttpResult
{
    public HttpResult(HttpMethod method, Uri uri, HttpStatusCode statusCode, string? reasonPhrase,
        IReadOnlyDictionary<string, string[]> headers, string? contentType, byte[] body, string? correlationId = null,
        TimeSpan? retryAfter = null)
    {
        RetryAfter = retryAfter;
        CorrelationId = correlationId;
        Method = method;
        Uri = uri;
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
        Headers = headers;
        ContentType = contentType;
        Body = body;
    }

    public HttpMethod Method { get; }
    public Uri Uri { get; }
    public HttpStatusCode StatusCode { get; }
    public string? ReasonPhrase { get; }
    public IReadOnlyDictionary<string, string[]> Headers { get; }
    public string? ContentType { get; }
    public byte[] Body { get; }

    /// <summary>The X-Correlation-Id the request carried.</summary>
    public string? CorrelationId { get; }
    public bool IsSuccess => (int)StatusCode >= 200 && (int)StatusCode < 300;

    /// <summary>The wait the server asked for, when its Retry-After header is usable.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>"METHOD uri" (query included: it names the request; a message excerpts it).</summary>
    public string Target => $"{Method.Method} {Uri}";

    public string? Header(string name) => Headers.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : null;
}
