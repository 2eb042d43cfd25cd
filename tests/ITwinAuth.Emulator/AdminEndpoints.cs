using System.Text.Json;

namespace ITwinAuth.Emulator;

/// <summary>/_emulator/*: what a test uses to register apps, arm faults and read counters.
/// Not part of the emulated platform.</summary>
public static class AdminEndpoints
{
    public static void MapEmulatorAdmin(this IEndpointRouteBuilder admin, EmulatorState state)
    {
        admin.MapPost("/_emulator/apps", (AppRegistration? registration) =>
        {
            var app = state.Apps.Register(registration ?? new AppRegistration());
            return Results.Json(Describe(app));
        });

        admin.MapPut("/_emulator/apps/{clientId}", (string clientId, AppUpdate update) =>
        {
            var app = state.Apps.Find(clientId);
            if (app is null) return Results.NotFound();
            if (update.ClientSecret is not null) app.ClientSecret = update.ClientSecret;
            if (update.TokenLifetimeSeconds is not null) app.TokenLifetimeSeconds = update.TokenLifetimeSeconds;
            return Results.Json(Describe(app));
        });

        admin.MapPut("/_emulator/settings", (EmulatorSettings settings) =>
        {
            if (settings.TokenLifetimeSeconds is { } lifetime) state.TokenLifetimeSeconds = lifetime;
            if (settings.ITwinCount is { } count) state.ITwins = new ITwinStore(count);
            if (settings.LatencyMs is { } latency) state.LatencyMs = Math.Max(0, latency);
            if (settings.EnforceMaxReturn is { } enforce) state.EnforceMaxReturn = enforce;
            return Results.Json(new
            {
                tokenLifetimeSeconds = state.TokenLifetimeSeconds, iTwinCount = state.ITwins.Count,
                latencyMs = state.LatencyMs, enforceMaxReturn = state.EnforceMaxReturn,
            });
        });

        // How the hosts are reached: TLS, the emulated network, and the forward proxy.
        admin.MapGet("/_emulator/network", () => Results.Json(new
        {
            tls = state.Certificate is not null,
            caCertificatePath = state.Options.TlsCertificatePath,
            roundTripMs = state.Options.RoundTripMs,
            latencyMs = state.LatencyMs,
            proxy = state.Proxy?.Uri.ToString().TrimEnd('/'),
        }));

        // Token time: moves forward by advanceSeconds (tokens expire without anyone sleeping); freeze
        // true stops it so that it moves only when told to, false lets it run on from there.
        admin.MapPost("/_emulator/clock", (ClockChange change) =>
        {
            if (change.AdvanceSeconds is not (>= 0 and <= 10_000_000)) return Results.BadRequest(new { error = "advanceSeconds must be between 0 and 10000000." });
            if (change.Freeze is { } freeze) state.Clock.Freeze(freeze);
            state.Clock.Advance(TimeSpan.FromSeconds(change.AdvanceSeconds));
            return Results.Json(new { now = state.Clock.GetUtcNow(), offsetSeconds = state.Clock.Offset.TotalSeconds, frozen = state.Clock.IsFrozen });
        });

        // ?log=false leaves out the request log (up to 2,000 records) when only the counters are wanted.
        admin.MapGet("/_emulator/stats", (bool? log) => Results.Json(state.Stats.Snapshot(withLog: log ?? true)));
        admin.MapGet("/_emulator/tokens", () => Results.Json(state.Stats.IssuedTokens.ToArray()));
        admin.MapPost("/_emulator/keys/rotate", async (IServiceProvider services) =>
        {
            await IdentityServer.RotateSigningKeyAsync(services, state);
            return Results.Json(new { kid = state.SigningKey.KeyId });
        });
        admin.MapPost("/_emulator/stats/reset", () =>
        {
            state.Stats.Reset();
            return Results.NoContent();
        });

        admin.MapPost("/_emulator/faults", (JsonElement body) =>
        {
            state.Faults.Arm(FaultInjector.Parse(body));
            return Results.Json(new { armed = state.Faults.Armed });
        });
        // A raw listener answering every connection with these bytes (base64): see RawServer.
        admin.MapPost("/_emulator/raw", (RawAnswer answer) =>
        {
            if (state.RawServers.Count >= 50) return Results.BadRequest(new { error = "At most 50 raw listeners." });
            var raw = new RawServer(Convert.FromBase64String(answer.Base64));
            state.RawServers.Enqueue(raw);
            return Results.Json(new { uri = raw.Uri.ToString().TrimEnd('/') });
        });
        admin.MapGet("/_emulator/raw", () => Results.Json(state.RawServers.Select(r => new
        {
            uri = r.Uri.ToString().TrimEnd('/'), requests = r.Requests, heads = r.Heads.ToArray(),
        }).ToArray()));
        admin.MapDelete("/_emulator/faults", () =>
        {
            state.Faults.Clear();
            return Results.NoContent();
        });
    }

    private static object Describe(RegisteredApp app) => new
    {
        client_id = app.ClientId,
        client_secret = app.ClientSecret,
        scope = string.Join(" ", app.Scopes),
        name = app.Name,
        user_id = app.UserId,
        token_lifetime_seconds = app.TokenLifetimeSeconds,
    };

    public sealed record RawAnswer(string Base64);
    public sealed record ClockChange(double AdvanceSeconds = 0, bool? Freeze = null);
    public sealed record AppUpdate(string? ClientSecret, int? TokenLifetimeSeconds);
    public sealed record EmulatorSettings(int? TokenLifetimeSeconds, int? ITwinCount, int? LatencyMs = null, bool? EnforceMaxReturn = null);
}
