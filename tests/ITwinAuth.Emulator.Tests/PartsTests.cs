using System.Diagnostics;
using System.Net;
using Xunit;

namespace ITwinAuth.Emulator.Tests;

/// <summary>The command line: what it accepts, what it refuses, and the settings it prints.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void Options_set_the_ports_apps_and_network()
    {
        var line = CommandLine.Parse(new[] { "--ims-port", "5001", "--api-port", "5002", "--app", "a:b:itwins:read,users:read", "--latency-ms", "20", "--rtt-ms", "40", "--proxy-port", "5003", "--no-max-return", "--stop-after", "9" });
        Assert.Equal((5001, 5002, 20, 40, 5003), (line.Options.ImsPort, line.Options.ApiPort, line.Options.LatencyMs, line.Options.RoundTripMs, line.Options.ProxyPort));
        Assert.True(line.Options.ForwardProxy);
        Assert.False(line.Options.EnforceMaxReturn);
        Assert.Equal(9, line.StopAfterSeconds);
        var app = Assert.Single(line.Options.SeedApps);
        Assert.Equal(("a", "b"), (app.ClientId, app.ClientSecret));
        Assert.Equal(new[] { "itwins:read", "users:read" }, app.Scopes);
    }

    [Theory]
    [InlineData("--ims-port", "0")]
    [InlineData("--api-port", "65536")]
    [InlineData("--itwins", "-1")]
    [InlineData("--token-lifetime", "1.5")]
    [InlineData("--app", "id-without-secret")]
    [InlineData("--app", ":secret")]
    [InlineData("--env", "cmd")]
    [InlineData("--stop-after")]
    public void Bad_values_are_a_FormatException_naming_the_option(params string[] args) =>
        Assert.Contains(args[0], Assert.Throws<FormatException>(() => CommandLine.Parse(args)).Message);

    [Theory]
    [InlineData("sh", "export ITWIN_CLIENT_SECRET='it'\\''s'")]
    [InlineData("pwsh", "$env:ITWIN_CLIENT_SECRET = 'it''s'")]
    public void The_settings_quote_a_secret_for_the_shell_asked_for(string form, string expected)
    {
        var line = CommandLine.Parse(new[] { "--app", "id:it's", "--env", form });
        Assert.Contains(expected, line.EnvironmentLines(new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/")));
    }

    [Fact]
    public void Without_an_app_the_settings_say_how_to_add_one_and_none_prints_nothing()
    {
        Assert.StartsWith("# No app registered", CommandLine.Parse(Array.Empty<string>()).EnvironmentLines(new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/")).Last());
        Assert.Empty(CommandLine.Parse(new[] { "--env", "none" }).EnvironmentLines(new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/")));
    }
}

/// <summary>The token clock: forward only, and still when frozen.</summary>
public sealed class ClockTests
{
    [Fact]
    public void Moves_forward_never_back()
    {
        var clock = new EmulatorClock();
        var before = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromHours(1));
        Assert.True(clock.GetUtcNow() - before >= TimeSpan.FromHours(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Frozen_it_moves_only_when_told_and_thawed_it_runs_on_from_there()
    {
        var clock = new EmulatorClock();
        clock.Freeze(true);
        var frozen = clock.GetUtcNow();
        Thread.Sleep(20);
        Assert.Equal(frozen, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(frozen + TimeSpan.FromSeconds(30), clock.GetUtcNow());
        clock.Freeze(false);
        Assert.False(clock.IsFrozen);
        Assert.True(clock.GetUtcNow() >= frozen + TimeSpan.FromSeconds(30));
    }
}

/// <summary>The network pieces: the counting forward proxy and the delaying relay.</summary>
public sealed class NetworkTests
{
    [Fact]
    public async Task The_forward_proxy_forwards_to_loopback_and_records_each_request()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { ForwardProxy = true });
        var proxy = host.State.Proxy!;
        using var http = new HttpClient(new HttpClientHandler { Proxy = new WebProxy(proxy.Uri), UseProxy = true });
        using var response = await http.GetAsync(new Uri(host.Authority, ".well-known/openid-configuration"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(proxy.Requests);
        Assert.Equal(("GET", $"{host.Authority}.well-known/openid-configuration", false), (seen.Method, seen.Target, seen.HadAuthorization));
    }

    [Fact]
    public async Task The_relay_adds_its_round_trip_to_the_connect_and_to_each_request()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { RoundTripMs = 200 });
        using var http = new HttpClient();
        var discovery = new Uri(host.Authority, ".well-known/openid-configuration");
        var watch = Stopwatch.StartNew();
        (await http.GetAsync(discovery)).Dispose();
        Assert.True(watch.ElapsedMilliseconds >= 390, $"first request (connect and request): {watch.ElapsedMilliseconds} ms");
        watch.Restart();
        (await http.GetAsync(discovery)).Dispose();
        Assert.True(watch.ElapsedMilliseconds >= 195, $"second request, on the same connection: {watch.ElapsedMilliseconds} ms");
    }
}
