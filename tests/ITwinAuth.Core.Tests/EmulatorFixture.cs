using System.Net.Http.Json;
using System.Text.Json;
using ITwinAuth.Core;
using ITwinAuth.Emulator;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>One emulator for the whole run, on loopback ports of its own; tests run one at a time
/// (one collection) because they arm faults and read counters.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public EmulatorHost Host { get; private set; } = null!;
    public HttpClient Admin { get; } = new();

    public async Task InitializeAsync()
    {
        Host = await EmulatorHost.StartAsync(new EmulatorOptions { ITwinCount = 1000 });
        Admin.BaseAddress = Host.Authority;
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Host.DisposeAsync();
    }

    public RegisteredApp Register(string? secret = null, string[]? scopes = null, int? lifetime = null) =>
        Host.State.Apps.Register(new AppRegistration(null, secret, scopes, null, lifetime));

    public void Arm(params FaultRule[] rules) => Host.State.Faults.Arm(rules);

    public EmulatorStats Stats => Host.State.Stats;

    public ServiceConnection Connect(RegisteredApp app, string[]? scopes = null) => ConnectTo(Host, app, scopes);

    /// <summary>A connection to any emulator (a test that moves token time starts one of its own).</summary>
    public static ServiceConnection ConnectTo(EmulatorHost host, RegisteredApp app, string[]? scopes = null) =>
        new(app.ClientId, host.Authority, host.ApiBaseUri, TokenClient.ValidateScopes(scopes),
            new StaticCredentialSource(app.ClientId, SecretText.ToSecureString(app.ClientSecret), CredentialSourceKind.Direct),
            null, null);
}

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "emulator";
}

/// <summary>Runs "pipeline thread" work inline: the core's tests have no PowerShell.</summary>
public sealed class InlineDispatcher : IPipelineDispatcher
{
    public static readonly InlineDispatcher Instance = new();
    public Task<T> InvokeAsync<T>(Func<T> function, CancellationToken cancellationToken) => Task.FromResult(function());
}

/// <summary>Keeps what the core said, to check the story and that no secret is in it.</summary>
public sealed class RecordingLog : ILogSink
{
    private readonly List<string> _lines = new();
    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }
    public bool ShowsVerbose => true;
    public bool ShowsDebug => true;
    public void Verbose(string message) { lock (_lines) _lines.Add("VERBOSE: " + message); }
    public void Debug(string message) { lock (_lines) _lines.Add("DEBUG: " + message); }
    public void Warning(string message) { lock (_lines) _lines.Add("WARNING: " + message); }
}
