using System;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// Everything the engine keeps between calls, in one object: the clock, the transport, the send
/// pipeline, the token cache, the rate-limit pauses and the discovered token endpoints. The module
/// makes one when it loads and passes it down; a test makes its own, with a fake clock or a
/// transport of its own, and shares nothing with any other test.
/// </summary>
public sealed class ClientContext : IDisposable
{
    private readonly HttpMessageInvoker _transport;

    public ClientContext(Clock? clock = null, HttpMessageHandler? transport = null)
    {
        Clock = clock ?? Clock.System;
        _transport = new HttpMessageInvoker(transport ?? HttpTransport.CreateHandler(), disposeHandler: true);
        RateLimits = new RateLimitGate(Clock);
        Pipeline = new HttpPipeline(Clock, RateLimits, _transport);
        Tokens = new TokenCache(Clock);
        Discovery = new OidcDiscovery(Pipeline);
    }

    public Clock Clock { get; }
    public HttpPipeline Pipeline { get; }
    public TokenCache Tokens { get; }
    public RateLimitGate RateLimits { get; }
    public OidcDiscovery Discovery { get; }

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
    }
}
