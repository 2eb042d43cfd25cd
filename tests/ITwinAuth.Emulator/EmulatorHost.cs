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

    private EmulatorHost(WebApplication app, EmulatorState state)
    {
        _app = app;
        State = state;
    }

    public EmulatorState State { get; }
    public Uri Authority => State.IssuerUri;
    public Uri ApiBaseUri => State.ApiUri;
    public Uri ForeignUri => State.ForeignUri;

    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        var state = new EmulatorState(options, FreePort(options.ImsPort), FreePort(options.ApiPort), FreePort(options.ForeignPort));
        foreach (var seed in options.SeedApps) state.Apps.Register(seed);

        var builder = WebApplication.CreateSlimBuilder();
        if (options.Quiet) builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var port in new[] { state.ImsPort, state.ApiPort, state.ForeignPort })
            {
                kestrel.Listen(IPAddress.Loopback, port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
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
            if (port == state.ForeignPort && CarriesSecret(http, state)) state.Stats.SecretSighted();
            if (port != state.ApiPort && http.Request.Headers.ContainsKey("Authorization") &&
                !http.Request.Path.StartsWithSegments("/connect/token") && !http.Request.Path.StartsWithSegments("/_emulator"))
                state.Stats.AuthorizationSeenElsewhere();
            if (port == state.ForeignPort)
            {
                state.Stats.ForeignRequests.Enqueue(Record(http));
                await http.Response.WriteAsJsonAsync(new { iTwins = Array.Empty<object>(), _links = new { } });
                return;
            }
            if (!http.Request.Path.StartsWithSegments("/connect/token") && CarriesSecret(http, state)) state.Stats.SecretSighted();
            var path = http.Request.Path;
            var identityPath = path.StartsWithSegments("/connect") || path.StartsWithSegments("/.well-known");
            if (identityPath != (port == state.ImsPort) && !path.StartsWithSegments("/_emulator"))
            {
                http.Response.StatusCode = 404;
                return;
            }
            if (port == state.ImsPort && path.StartsWithSegments("/connect/token")) state.Stats.IdentityRequested(tokenEndpoint: true);
            if (port == state.ImsPort && path.StartsWithSegments("/.well-known/openid-configuration")) state.Stats.IdentityRequested(tokenEndpoint: false);
            if (port == state.ApiPort)
            {
                state.Stats.ApiRequested(Record(http));
                http.Response.Headers["X-Correlation-Id"] = Guid.NewGuid().ToString();
            }
            await next(http);
        });
        app.Use((http, next) => state.Faults.InvokeAsync(http, ctx => next(ctx)));
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapEmulatedIms(state);
        app.MapEmulatedApi(state);
        app.MapEmulatorAdmin(state);

        await app.StartAsync(cancellationToken);
        return new EmulatorHost(app, state);
    }

    private static bool CarriesSecret(HttpContext http, EmulatorState state)
    {
        var text = http.Request.Path + http.Request.QueryString.ToString() + string.Join("\n", http.Request.Headers.Select(h => h.Key + ":" + h.Value));
        var decoded = Uri.UnescapeDataString(text);
        return state.Apps.Secrets().Any(secret => text.Contains(secret, StringComparison.Ordinal) || decoded.Contains(secret, StringComparison.Ordinal));
    }

    private static RequestRecord Record(HttpContext http) => new(
        http.Request.Method,
        http.Request.Path + http.Request.QueryString,
        http.Request.Headers.ContainsKey("Authorization"),
        http.Request.Headers.Accept.ToString(),
        http.Request.Headers["Prefer"].ToString());

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
    }
}
