using System;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// Everything the engine keeps between calls, in one object: the clock, the transport, the send
/// pipeline, the token cache (and what it shares through stores), the rate-limit pauses and the
/// discovered token endpoints. The module
/// makes one when it loads and passes it down; a test makes its own, with a fake clock or a
/// transport of its own, and shares nothing with any other test.
/// </summary>
public sealed class ClientContext : IDisposable
{
    private readonly HttpMessageInvoker _transport;
    private readonly System.Collections.Generic.Dictionary<string, Proxied> _proxied = new(StringComparer.Ordinal);
    private readonly byte[] _proxyKey = Guid.NewGuid().ToByteArray();

    /// <param name="lockFolder">Where shared-token renewal locks are kept (a test's own folder); the user's by default.</param>
    public ClientContext(Clock? clock = null, HttpMessageHandler? transport = null, string? lockFolder = null)
    {
        Clock = clock ?? Clock.System;
        _transport = new HttpMessageInvoker(transport ?? HttpTransport.CreateHandler(), disposeHandler: true);
        RateLimits = new RateLimitGate(Clock);
        Pipeline = new HttpPipeline(Clock, RateLimits, _transport);
        Tokens = new TokenCache(Clock);
        SharedTokens = new SharedTokenCache(Clock, lockFolder);
        Discovery = new OidcDiscovery(Pipeline);
    }

    public Clock Clock { get; }
    public HttpPipeline Pipeline { get; }
    public TokenCache Tokens { get; }
    public SharedTokenCache SharedTokens { get; }
    public RateLimitGate RateLimits { get; }
    public OidcDiscovery Discovery { get; }

    /// <summary>The pipeline for a connection's proxy settings: the context's own when it has none, else a
    /// transport of its own for those settings (shared by every call that uses them), with the same
    /// clock and rate-limit gate.</summary>
    public HttpPipeline PipelineFor(ProxySettings? proxy)
    {
        if (proxy is null) return Pipeline;
        var key = proxy.Identity(_proxyKey);
        lock (_proxied)
        {
            if (!_proxied.TryGetValue(key, out var proxied)) _proxied[key] = proxied = new Proxied(Clock, RateLimits, proxy);
            return proxied.Pipeline;
        }
    }

    /// <summary>A transport through a proxy and its pipeline, released with the context.</summary>
    private sealed class Proxied : IDisposable
    {
        private readonly HttpMessageInvoker _transport;

        public Proxied(Clock clock, RateLimitGate rateLimits, ProxySettings proxy)
        {
            _transport = new HttpMessageInvoker(HttpTransport.CreateHandler(proxy), disposeHandler: true);
            Pipeline = new HttpPipeline(clock, rateLimits, _transport);
        }

        public HttpPipeline Pipeline { get; }

        public void Dispose() => _transport.Dispose();
    }

    /// <summary>Forgets every token, pause and discovered endpoint (the transport's connections stay).</summary>
    public void Forget()
    {
        Tokens.Clear();
        RateLimits.Clear();
        Discovery.Forget();
    }

    /// <summary>Releases the pooled connections and forgets everything.</summary>
    public void Dispose()
    {
        Forget();
        _transport.Dispose();
        lock (_proxied)
        {
            foreach (var proxied in _proxied.Values) proxied.Dispose();
            _proxied.Clear();
        }
    }
}
