using System;
using System.Net;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>The handler a context sends through by default: pooled connections, periodic DNS refresh,
/// no redirects or cookies of its own (the pipeline decides those).</summary>
public static class HttpTransport
{
    /// <summary>A handler that reaches the internet as <paramref name="proxy"/> says (null: as .NET finds a proxy).</summary>
    public static HttpMessageHandler CreateHandler(ProxySettings? proxy = null)
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
        Configure(proxy, p => handler.UseProxy = p, p => handler.Proxy = p);
        return handler;
#else
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        };
        DesktopNetworking.EnsureModernTls();
        DesktopNetworking.ConfigureHandler(handler);
        Configure(proxy, p => handler.UseProxy = p, p => handler.Proxy = p);
        return handler;
#endif
    }

    private static void Configure(ProxySettings? proxy, Action<bool> useProxy, Action<IWebProxy> setProxy)
    {
        if (proxy is null) return;
        if (proxy.Bypass)
        {
            useProxy(false);
            return;
        }
        useProxy(true);
        setProxy(new ExplicitProxy(proxy));
    }

    /// <summary>The proxy the user named, for every host: WebProxy would skip it for loopback hosts.</summary>
    private sealed class ExplicitProxy : IWebProxy
    {
        private readonly Uri _address;

        public ExplicitProxy(ProxySettings settings)
        {
            _address = settings.Address!;
            Credentials = settings.Credential ?? (settings.UseDefaultCredentials ? CredentialCache.DefaultCredentials : null);
        }

        public ICredentials? Credentials { get; set; }
        public Uri GetProxy(Uri destination) => _address;
        public bool IsBypassed(Uri host) => false;
    }
}
