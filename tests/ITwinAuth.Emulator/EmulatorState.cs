using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace ITwinAuth.Emulator;

/// <summary>Everything the emulator's endpoints share: addresses, apps, data, faults and counters.</summary>
public sealed class EmulatorState
{
    /// <param name="publicPort">The port clients use for a listening port: itself, or the delaying
    /// relay's in front of it.</param>
    public EmulatorState(EmulatorOptions options, int imsPort, int apiPort, int foreignPort, Func<int, int>? publicPort = null)
    {
        Options = options;
        ImsPort = imsPort;
        ApiPort = apiPort;
        ForeignPort = foreignPort;
        publicPort ??= port => port;
        var scheme = options.TlsCertificatePath is null ? "http" : "https";
        IssuerUri = new Uri($"{scheme}://127.0.0.1:{publicPort(imsPort)}/");
        ApiUri = new Uri($"{scheme}://127.0.0.1:{publicPort(apiPort)}/");
        ForeignUri = new Uri($"{scheme}://127.0.0.1:{publicPort(foreignPort)}/");
        TokenLifetimeSeconds = options.TokenLifetimeSeconds;
        LatencyMs = options.LatencyMs;
        EnforceMaxReturn = options.EnforceMaxReturn;
        SigningKey = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "emulator-" + imsPort };
        ITwins = new ITwinStore(options.ITwinCount);
    }

    public EmulatorOptions Options { get; }
    public int ImsPort { get; }
    public int ApiPort { get; }
    public int ForeignPort { get; }
    public Uri IssuerUri { get; }
    public Uri ApiUri { get; }
    public Uri ForeignUri { get; }
    public RsaSecurityKey SigningKey { get; set; }
    public volatile int TokenLifetimeSeconds;
    /// <summary>How long the API holds each request (settable at run time).</summary>
    public volatile int LatencyMs;
    /// <summary>How the API holds a request for <see cref="LatencyMs"/>: a real delay, or a test's
    /// seam that records the hold and releases it when the test says (no test waits out real time).</summary>
    public Func<TimeSpan, CancellationToken, Task> Hold { get; set; } = Task.Delay;
    public volatile bool EnforceMaxReturn;
    /// <summary>The TLS certificate the hosts serve, when --tls is on.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; set; }
    /// <summary>The forward proxy, when --proxy is on.</summary>
    public ForwardProxy? Proxy { get; set; }
    /// <summary>The raw listeners made at run time (POST /_emulator/raw); stopped with the emulator.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<RawServer> RawServers { get; } = new();
    public AppRegistry Apps { get; } = new();
    /// <summary>Token time: issuance and expiry checks (tests move it forward).</summary>
    public EmulatorClock Clock { get; } = new();
    public EmulatorStats Stats { get; } = new();
    public FaultInjector Faults { get; } = new();
    public ITwinStore ITwins { get; set; }
}
