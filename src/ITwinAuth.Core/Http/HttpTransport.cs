using System;
using System.Net;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>The handler a context sends through by default: pooled connections, periodic DNS refresh,
/// no redirects or cookies of its own (the pipeline decides those).</summary>
public static class HttpTransport
{
    public static HttpMessageHandler CreateHandler()
    {
#if NET
        return new SocketsHttpHandler
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
        return handler;
#endif
    }
}
