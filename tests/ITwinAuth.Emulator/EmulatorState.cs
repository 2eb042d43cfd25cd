using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace ITwinAuth.Emulator;

/// <summary>Everything the emulator's endpoints share: addresses, apps, data, faults and counters.</summary>
public sealed class EmulatorState
{
    public EmulatorState(EmulatorOptions options, int imsPort, int apiPort, int foreignPort)
    {
        Options = options;
        ImsPort = imsPort;
        ApiPort = apiPort;
        ForeignPort = foreignPort;
        IssuerUri = new Uri($"http://127.0.0.1:{imsPort}/");
        ApiUri = new Uri($"http://127.0.0.1:{apiPort}/");
        ForeignUri = new Uri($"http://127.0.0.1:{foreignPort}/");
        TokenLifetimeSeconds = options.TokenLifetimeSeconds;
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
    public AppRegistry Apps { get; } = new();
    public EmulatorStats Stats { get; } = new();
    public FaultInjector Faults { get; } = new();
    public ITwinStore ITwins { get; set; }
}
