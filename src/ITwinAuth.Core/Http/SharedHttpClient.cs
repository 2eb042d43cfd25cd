using System;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Threading;

namespace ITwinAuth.Core;

/// <summary>The module's one HttpClient, shared by every request of every runspace: pooled
/// connections, periodic DNS refresh, no redirects or cookies of its own (the pipeline decides).</summary>
public static class SharedHttpClient
{
    private static readonly object Gate = new();
    private static HttpClient? _client;

    public static readonly string UserAgent =
        "ITwinAuth/" + (typeof(SharedHttpClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0");

    public static HttpClient Instance
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
}
