using System;
using System.Collections.Generic;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>Whose credentials a call carries, which decides where its redirects may go.</summary>
public enum CallKind
{
    /// <summary>Discovery and the token request: never leave the authority's origin.</summary>
    Identity,

    /// <summary>An iTwin API call: may follow a redirect elsewhere, stripped of everything the caller gave.</summary>
    Api,
}

/// <summary>
/// Everything one logical request needs. The <see cref="HttpPipeline"/> turns it into attempts and
/// never changes it: what changes between attempts (the hop, the token) lives on the
/// <see cref="HttpMessage"/>.
/// </summary>
public sealed class HttpCall
{
    /// <summary>The most an identity response (discovery, token) may hold: they are a few KiB.</summary>
    public const long IdentityBodyLimit = 1L << 20;

    /// <summary>The default for a buffered API response; a page of 1,000 iTwins is about 1 MiB.</summary>
    public const long DefaultApiBodyLimit = 32L << 20;

    /// <summary>What requests under way at once may buffer together by default: with -ThrottleLimit N each
    /// gets at most this divided by N (and never more than <see cref="DefaultApiBodyLimit"/>), unless the
    /// caller sets -MaximumResponseSize.</summary>
    public const long FanOutBodyBudget = 256L << 20;

    /// <summary>The default body limit of one of <paramref name="concurrent"/> requests under way at once.</summary>
    public static long DefaultApiBodyLimitFor(int concurrent) => Math.Min(DefaultApiBodyLimit, FanOutBodyBudget / Math.Max(1, concurrent));

    /// <summary>The default overall deadline of an API call: attempts, waits and body reads together.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMinutes(2);

    public HttpCall(HttpMethod method, Uri uri, CredentialBoundary boundary)
    {
        Method = method;
        Uri = uri;
        Boundary = boundary;
        MaximumBodyBytes = boundary.Kind == CallKind.Identity ? IdentityBodyLimit : DefaultApiBodyLimit;
    }

    /// <summary>A call whose credential origin is <paramref name="credentialOrigin"/> (its own URI when not given).</summary>
    public HttpCall(HttpMethod method, Uri uri, CallKind kind = CallKind.Api, Uri? credentialOrigin = null)
        : this(method, uri, new CredentialBoundary(credentialOrigin ?? uri, kind))
    {
    }

    public HttpMethod Method { get; }
    public Uri Uri { get; }

    /// <summary>Where what the call carries may go: the token, the secret form, the caller's headers, the body.</summary>
    public CredentialBoundary Boundary { get; }

    public CallKind Kind => Boundary.Kind;

    /// <summary>The module's own headers (Accept, Prefer): harmless on any host.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The caller's -Headers, already checked by <see cref="HeaderPolicy"/>: sent only inside the boundary.</summary>
    public IDictionary<string, string> CallerHeaders { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Makes the body afresh for each attempt (a secret-bearing form is built only then).</summary>
    public Func<HttpContent?>? Content { get; set; }

    /// <summary>Supplies the bearer token; null for calls that carry none (discovery, the token endpoint).</summary>
    public ITokenSource? Tokens { get; set; }

    public RetryOptions Retry { get; set; } = RetryOptions.Default;

    /// <summary>Bounds one attempt, from sending to the last byte of the body.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Bounds the whole call: every attempt, every wait between them and every body read.</summary>
    public TimeSpan Deadline { get; set; } = DefaultDeadline;

    /// <summary>The most a buffered body may hold, counted after decompression.</summary>
    public long MaximumBodyBytes { get; set; }

    /// <summary>The most JSON values one response (one page of a listing) may become: see <see cref="ConversionBudget"/>.</summary>
    public int MaximumValues { get; set; } = ConversionBudget.MaximumValues;

    /// <summary>Treat as idempotent for retries even if the method is not (the token request is).</summary>
    public bool Idempotent { get; set; }

    /// <summary>A full file path: a successful body is streamed there (no size limit) instead of buffered.</summary>
    public string? OutFile { get; set; }

    /// <summary>Sent as X-Correlation-Id on every attempt (and, by the pager, every page) of one
    /// logical request, so a support ticket can quote it.</summary>
    public string CorrelationId { get; set; } = Guid.NewGuid().ToString();

    public string Describe() => Hop.Describe(Method, Uri);
}
