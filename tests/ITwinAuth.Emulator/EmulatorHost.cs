using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ITwinAuth.Emulator;

/// <summary>
/// Runs the emulator on three loopback ports: IMS (identity), API, and a "foreign" host that
/// records whatever reaches it, so tests can prove a token never goes there.
/// </summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly List<IAsyncDisposable> _network;

    private EmulatorHost(WebApplication app, EmulatorState state, List<IAsyncDisposable> network)
    {
        _app = app;
        State = state;
        _network = network;
    }

    public EmulatorState State { get; }
    public Uri Authority => State.IssuerUri;
    public Uri ApiBaseUri => State.ApiUri;
    public Uri ForeignUri => State.ForeignUri;

    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        // A free port is picked, released, then bound: another process can take it in between. When
        // no port was asked for, such a start is tried again with new ports.
        var anyPort = options.ImsPort == 0 && options.ApiPort == 0 && options.ForeignPort == 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(options, cancellationToken);
            }
            catch (IOException ex) when (anyPort && attempt < 3 && ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
            }
        }
    }

    private static async Task<EmulatorHost> StartOnceAsync(EmulatorOptions options, CancellationToken cancellationToken)
    {
        // With a round trip to emulate, each host listens on a private port behind a delaying relay
        // that takes the requested (public) port.
        var network = new List<IAsyncDisposable>();
        var relays = new Dictionary<int, int>();
        int Listen(int requested)
        {
            if (options.RoundTripMs <= 0) return FreePort(requested);
            var port = FreePort(0);
            var relay = new LatencyRelay(port, options.RoundTripMs, requested);
            network.Add(relay);
            relays[port] = relay.Port;
            return port;
        }
        var state = new EmulatorState(options, Listen(options.ImsPort), Listen(options.ApiPort), Listen(options.ForeignPort),
            port => relays.GetValueOrDefault(port, port));
        foreach (var seed in options.SeedApps) state.Apps.Register(seed);
        if (options.TlsCertificatePath is { } caPath) state.Certificate = TlsCertificate.Create(caPath);
        if (options.ForwardProxy)
        {
            var proxy = new ForwardProxy(options.ProxyPort, options.ProxyCredential);
            network.Add(proxy);
            state.Proxy = proxy;
            state.Stats.ProxiedRequests = proxy.Requests;
        }

        var builder = WebApplication.CreateSlimBuilder();
        if (options.Quiet) builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var port in new[] { state.ImsPort, state.ApiPort, state.ForeignPort })
            {
                kestrel.Listen(IPAddress.Loopback, port, listen =>
                {
                    if (state.Certificate is { } certificate)
                    {
                        listen.Protocols = options.NoHttp2 ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                        listen.UseHttps(certificate);
                    }
                    else listen.Protocols = HttpProtocols.Http1;
                    listen.Use(next => async connection =>
                    {
                        state.Stats.ConnectionOpened();
                        try { await next(connection); }
                        finally { state.Stats.ConnectionClosed(); }
                    });
                });
            }
        });
        builder.Services.AddSingleton(state);
        builder.Services.AddEmulatedIms(state);
        builder.Services.AddEmulatedApi(state);

        var app = builder.Build();
        app.Use(async (http, next) =>
        {
            var port = http.Connection.LocalPort;
            var path = http.Request.Path;
            var admin = path.StartsWithSegments("/_emulator") && !path.StartsWithSegments("/_emulator/echo");
            // Bodies are read too: a secret or a token in a body is as much a leak as one in a header.
            var body = admin ? string.Empty : await PeekBodyAsync(http.Request);
            var tokenEndpoint = port == state.ImsPort && path.StartsWithSegments("/connect/token");
            if (!tokenEndpoint && Carries(http, body, state.Apps.Secrets())) state.Stats.SecretSighted();
            // The proxy's credentials belong to the proxy: any of them here (or its header) has gone too far.
            if (state.Proxy?.Password is { } proxyPassword &&
                (http.Request.Headers.ContainsKey("Proxy-Authorization") || Carries(http, body, new[] { proxyPassword })))
                state.Stats.ProxyCredentialSighted();
            if (port != state.ApiPort && http.Request.Headers.ContainsKey("Authorization") && !path.StartsWithSegments("/connect/token") && !admin)
                state.Stats.AuthorizationSeenElsewhere();
            if (port == state.ForeignPort)
            {
                if (Carries(http, body, state.Stats.IssuedTokens.ToArray())) state.Stats.TokenSightedElsewhere();
                state.Stats.ForeignRequests.Enqueue(Record(http, body));
                // Looks like a token, an empty page and a discovery document at once, so a client that
                // trusted this host would accept its answer and show it.
                await http.Response.WriteAsJsonAsync(new
                {
                    access_token = "foreign-token", token_type = "Bearer", expires_in = 3600,
                    token_endpoint = state.ForeignUri + "connect/token",
                    iTwins = Array.Empty<object>(), _links = new { },
                });
                return;
            }
            var identityPath = path.StartsWithSegments("/connect") || path.StartsWithSegments("/.well-known");
            if (identityPath != (port == state.ImsPort) && !path.StartsWithSegments("/_emulator"))
            {
                http.Response.StatusCode = 404;
                return;
            }
            if (tokenEndpoint) state.Stats.IdentityRequested(tokenEndpoint: true);
            if (port == state.ImsPort && path.StartsWithSegments("/.well-known/openid-configuration")) state.Stats.IdentityRequested(tokenEndpoint: false);
            if (port != state.ApiPort)
            {
                await next(http);
                return;
            }
            state.Stats.ApiRequested(Record(http, null));
            state.Stats.ApiProtocol(http.Request.Protocol);
            // The platform's answer carries the client's correlation id when it sent one.
            http.Response.Headers["X-Correlation-Id"] = http.Request.Headers.TryGetValue("X-Correlation-Id", out var sent) ? sent.ToString() : Guid.NewGuid().ToString();
            state.Stats.ApiStarted();
            try
            {
                if (state.LatencyMs > 0 && !path.StartsWithSegments("/_emulator"))
                    await state.Hold(TimeSpan.FromMilliseconds(state.LatencyMs), http.RequestAborted).ContinueWith(_ => { });
                if (!http.RequestAborted.IsCancellationRequested) await next(http);
            }
            finally { state.Stats.ApiFinished(); }
        });
        app.Use((http, next) => state.Faults.InvokeAsync(http, ctx => next(ctx)));
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapEmulatedIms(state);
        app.MapEmulatedApi(state);
        app.MapEmulatorAdmin(state);

        await app.StartAsync(cancellationToken);
        return new EmulatorHost(app, state, network);
    }

    private static bool Carries(HttpContext http, string body, IEnumerable<string> needles)
    {
        var text = http.Request.Path + http.Request.QueryString.ToString() + "\n" +
                   string.Join("\n", http.Request.Headers.Select(h => h.Key + ":" + h.Value)) + "\n" + body;
        var decoded = Uri.UnescapeDataString(text.Replace('+', ' '));
        var basicDecoded = string.Join("\n", http.Request.Headers.Authorization.Select(DecodeBasic));
        return needles.Any(needle => !string.IsNullOrEmpty(needle) &&
            (text.Contains(needle, StringComparison.Ordinal) || decoded.Contains(needle, StringComparison.Ordinal) ||
             basicDecoded.Contains(needle, StringComparison.Ordinal)));
    }

    private static string DecodeBasic(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return string.Empty;
        try { return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())); }
        catch (FormatException) { return string.Empty; }
    }

    /// <summary>Up to 1 MiB of the request body as text, leaving it readable for the endpoint.</summary>
    private static async Task<string> PeekBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding"))) return string.Empty;
        request.EnableBuffering();
        var buffer = new byte[1 << 20];
        var total = 0;
        int read;
        try
        {
            while (total < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(total), request.HttpContext.RequestAborted)) > 0)
                total += read;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or Microsoft.AspNetCore.Connections.ConnectionResetException) { }
        request.Body.Position = 0;
        return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static RequestRecord Record(HttpContext http, string? body) => new(
        http.Request.Method,
        http.Request.Path + http.Request.QueryString,
        http.Request.Headers.ContainsKey("Authorization"),
        http.Request.Headers.Accept.ToString(),
        http.Request.Headers["Prefer"].ToString(),
        http.Request.Headers["X-Correlation-Id"].ToString(),
        body is null ? null : http.Request.Headers.Select(h => h.Key + ": " + h.Value).ToArray(),
        body);

    private static int FreePort(int requested)
    {
        if (requested != 0) return requested;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var part in _network) await part.DisposeAsync();
        foreach (var raw in State.RawServers) await raw.DisposeAsync();
    }
}
