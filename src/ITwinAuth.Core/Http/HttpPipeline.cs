using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// The module's one HTTP client and the loop that sends a call: attempts with a per-attempt
/// timeout, retries by <see cref="RetryPolicy"/>, one token renewal on 401, and redirects that
/// never carry the token to another origin.
/// </summary>
public static class HttpPipeline
{
    private const int MaximumRedirects = 5;
    private static readonly object Gate = new();
    private static HttpClient? _client;

    public static readonly string UserAgent =
        "ITwinAuth/" + (typeof(HttpPipeline).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0");

    /// <summary>Shared by every request of every runspace: pooled connections, periodic DNS refresh.</summary>
    public static HttpClient Client
    {
        get
        {
            var client = Volatile.Read(ref _client);
            if (client is not null) return client;
            lock (Gate) return _client ??= Create();
        }
    }

    private static HttpClient Create()
    {
#if NET
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
#else
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        };
        DesktopNetworking.EnsureModernTls();
        DesktopNetworking.ConfigureHandler(handler);
#endif
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
#if !NET
        DesktopNetworking.ConfigureClient(client);
#endif
        client.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
        return client;
    }

    /// <summary>Releases the pooled connections (module removal); a later call makes a new client.</summary>
    public static void Reset()
    {
        HttpClient? old;
        lock (Gate)
        {
            old = _client;
            _client = null;
        }
        old?.Dispose();
    }

    public static async Task<HttpResult> SendAsync(HttpCall call, ILogSink log, CancellationToken cancellationToken)
    {
        var started = MonotonicClock.Now;
        var retries = 0;
        var redirects = 0;
        var renewed = false;
        var idempotent = call.Idempotent || RetryPolicy.IsIdempotent(call.Method);

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ITwinAccessToken? token = null;
            if (call.Tokens is { } tokens && EndpointPolicy.SameOrigin(call.Uri, tokens.ApiBaseUri))
                token = await tokens.GetTokenAsync(false, cancellationToken).ConfigureAwait(false);
            else if (call.Tokens is not null)
                log.Verbose($"{call.Describe()}: not the connection's API host, so no Authorization header is sent.");

            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(call.AttemptTimeout);
            HttpResponseMessage response;
            try
            {
                using var request = BuildRequest(call, token);
                log.Debug($"{call.Describe()} (attempt {retries + 1}{(token is null ? string.Empty : ", Authorization: Bearer ***")}).");
                response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
            {
                var failure = TransportFailure(call, ex, attempt.IsCancellationRequested);
                if (!idempotent || !await WaitToRetryAsync(call, ++retries, null, started, failure.Message, log, cancellationToken).ConfigureAwait(false))
                    throw failure;
                continue;
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (++redirects > MaximumRedirects)
                        throw new ITwinAuthException(ITwinErrorIds.TooManyRedirects, ITwinErrorCategory.InvalidResult,
                            $"{call.Describe()} was redirected more than {MaximumRedirects} times.", call.Describe());
                    var next = location.IsAbsoluteUri ? location : new Uri(call.Uri, location);
                    EndpointPolicy.RequireSecure(next, "Redirect location");
                    log.Verbose($"{call.Describe()} redirected ({status}) to {next.GetLeftPart(UriPartial.Path)}.");
                    if (status == 303 || (status is 301 or 302 && call.Method == HttpMethod.Post))
                    {
                        call.Method = HttpMethod.Get;
                        call.Content = null;
                    }
                    call.Uri = next;
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.Unauthorized && token is not null && !renewed && call.Tokens!.CanRenew)
                {
                    renewed = true;
                    log.Verbose($"{call.Describe()} answered 401: dropping the cached token and retrying once with a new one.");
                    call.Tokens.Rejected(token);
                    continue;
                }

                if (RetryPolicy.IsRetryableStatus(response.StatusCode, idempotent) &&
                    await WaitToRetryAsync(call, ++retries, response.Headers.RetryAfter, started,
                        $"{call.Describe()} answered {status} {response.ReasonPhrase}", log, cancellationToken).ConfigureAwait(false))
                    continue;

                try
                {
                    return await ReadAsync(call, response, attempt.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
                {
                    var failure = TransportFailure(call, ex, attempt.IsCancellationRequested);
                    if (!idempotent || !await WaitToRetryAsync(call, ++retries, null, started, failure.Message, log, cancellationToken).ConfigureAwait(false))
                        throw failure;
                }
            }
        }
    }

    private static HttpRequestMessage BuildRequest(HttpCall call, ITwinAccessToken? token)
    {
        var request = new HttpRequestMessage(call.Method, call.Uri);
        HttpContent? content = call.Content?.Invoke();
        request.Content = content;
        foreach (var header in call.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(header.Key, header.Value) && content is not null)
            {
                content.Headers.Remove(header.Key);
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
        if (token is not null)
            request.Headers.Authorization = SecretText.Use(token.SecureToken, t => new AuthenticationHeaderValue(token.TokenType, t));
        return request;
    }

    private static async Task<HttpResult> ReadAsync(HttpCall call, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] body;
        var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        using (cancellationToken.Register(stream.Dispose))
        {
            if (response.IsSuccessStatusCode && call.SuccessBodySink is { } sink)
            {
                await sink(stream, cancellationToken).ConfigureAwait(false);
                body = Array.Empty<byte>();
            }
            else
            {
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, 81920, cancellationToken).ConfigureAwait(false);
                body = buffer.ToArray();
            }
        }

        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers.Concat(response.Content.Headers))
            headers[header.Key] = header.Value.ToArray();
        return new HttpResult(call.Method, call.Uri, response.StatusCode, response.ReasonPhrase, headers,
            response.Content.Headers.ContentType?.MediaType, body, response.Headers.RetryAfter);
    }

    private static bool IsTransportFailure(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested &&
        (ex is HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException);

    private static ITwinAuthException TransportFailure(HttpCall call, Exception ex, bool timedOut) => timedOut
        ? new ITwinAuthException(ITwinErrorIds.RequestTimedOut, ITwinErrorCategory.OperationTimeout,
            $"{call.Describe()} did not complete within {call.AttemptTimeout.TotalSeconds:0.###} s.", call.Describe())
        : new ITwinAuthException(ITwinErrorIds.ApiUnreachable, ITwinErrorCategory.ConnectionError,
            $"{call.Describe()} failed: {Innermost(ex).Message}", call.Describe(), ex);

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }

    /// <summary>Waits before retry <paramref name="retry"/> if the policy allows it; false when it does not.</summary>
    private static async Task<bool> WaitToRetryAsync(HttpCall call, int retry, RetryConditionHeaderValue? retryAfter,
        long started, string reason, ILogSink log, CancellationToken cancellationToken)
    {
        var policy = call.Retry;
        if (retry > policy.MaximumRetryCount)
        {
            if (policy.MaximumRetryCount > 0)
                log.Verbose($"{reason}; giving up after {policy.MaximumRetryCount} retries.");
            return false;
        }
        var delay = policy.DelayFor(retry, retryAfter, out var fromServer);
        var left = policy.Deadline - MonotonicClock.Since(started);
        if (delay > left)
        {
            log.Verbose($"{reason}; waiting {delay.TotalSeconds:0.0} s would pass the {policy.Deadline.TotalSeconds:0} s retry deadline, so giving up.");
            return false;
        }
        log.Verbose($"{reason}; waiting {delay.TotalSeconds:0.0} s{(fromServer ? " as Retry-After asks" : " (back-off)")} before retry {retry} of {policy.MaximumRetryCount}.");
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
