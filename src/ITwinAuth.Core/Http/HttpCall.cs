using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Everything one logical request needs; <see cref="HttpPipeline"/> turns it into attempts.</summary>
public sealed class HttpCall
{
    public HttpCall(HttpMethod method, Uri uri)
    {
        Method = method;
        Uri = uri;
    }

    public HttpMethod Method { get; set; }
    public Uri Uri { get; set; }
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Makes the body afresh for each attempt (a secret-bearing form is built only then).</summary>
    public Func<HttpContent?>? Content { get; set; }

    /// <summary>Supplies the bearer token; null for calls that carry none (discovery, the token endpoint).</summary>
    public ITokenSource? Tokens { get; set; }

    public RetryPolicy Retry { get; set; } = RetryPolicy.Default;
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Treat as idempotent for retries even if the method is not (the token request is).</summary>
    public bool Idempotent { get; set; }

    /// <summary>Streams a successful body somewhere instead of buffering it (-OutFile).</summary>
    public Func<Stream, CancellationToken, Task>? SuccessBodySink { get; set; }

    public string Describe() => $"{Method.Method} {Uri.GetLeftPart(UriPartial.Path)}";
}

/// <summary>A response whose body has been read (unless it was streamed to a sink).</summary>
public sealed class HttpResult
{
    public HttpResult(HttpMethod method, Uri uri, HttpStatusCode statusCode, string? reasonPhrase,
        IReadOnlyDictionary<string, string[]> headers, string? contentType, byte[] body, System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter)
    {
        Method = method;
        Uri = uri;
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
        Headers = headers;
        ContentType = contentType;
        Body = body;
        RetryAfter = retryAfter;
    }

    public HttpMethod Method { get; }
    public Uri Uri { get; }
    public HttpStatusCode StatusCode { get; }
    public string? ReasonPhrase { get; }
    public IReadOnlyDictionary<string, string[]> Headers { get; }
    public string? ContentType { get; }
    public byte[] Body { get; }
    public System.Net.Http.Headers.RetryConditionHeaderValue? RetryAfter { get; }
    public bool IsSuccess => (int)StatusCode >= 200 && (int)StatusCode < 300;

    public string Target => $"{Method.Method} {Uri}";

    public string? Header(string name) => Headers.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : null;
}

/// <summary>Hands out the bearer token for a request and learns when the API rejected it.</summary>
public interface ITokenSource
{
    /// <summary>The only origin that may receive the token.</summary>
    Uri ApiBaseUri { get; }

    Task<ITwinAccessToken> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken);

    /// <summary>The API answered 401 to this token: drop it, so the next call renews.</summary>
    void Rejected(ITwinAccessToken token);

    /// <summary>Whether a rejected token can be replaced by a new one (false for a token given by hand).</summary>
    bool CanRenew { get; }
}
