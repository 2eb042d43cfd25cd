namespace ITwinAuth.Emulator;

/// <summary>Start-up settings. A port of 0 means "pick a free loopback port".</summary>
public sealed class EmulatorOptions
{
    public int ImsPort { get; set; }
    public int ApiPort { get; set; }
    public int ForeignPort { get; set; }
    public int TokenLifetimeSeconds { get; set; } = 3600;
    public int ITwinCount { get; set; } = 250;
    public bool Quiet { get; set; } = true;

    /// <summary>How long the API holds every request before answering (server time), in ms.</summary>
    public int LatencyMs { get; set; }
    /// <summary>A round trip added in front of every host by a delaying TCP relay (half each way), in ms:
    /// connection set-up and TLS handshakes pay it too, as on a real network.</summary>
    public int RoundTripMs { get; set; }
    /// <summary>Serve every host over TLS (HTTP/1.1 and HTTP/2) with a certificate made at start, its
    /// issuing CA written as PEM here, for clients to trust (SSL_CERT_FILE on Linux).</summary>
    public string? TlsCertificatePath { get; set; }
    /// <summary>With TLS, offer HTTP/1.1 only (no h2 in ALPN): to compare the two.</summary>
    public bool NoHttp2 { get; set; }
    /// <summary>Also run a counting HTTP forward proxy (absolute-form requests and CONNECT) on loopback.</summary>
    public bool ForwardProxy { get; set; }
    public int ProxyPort { get; set; }

    /// <summary>"user:password" the forward proxy asks for (407 with Basic) before it forwards; none when null.</summary>
    public string? ProxyCredential { get; set; }
    /// <summary>Cap GET /itwins listings at X-Max-Return as the platform does (off for huge benchmarks).</summary>
    public bool EnforceMaxReturn { get; set; } = true;

    /// <summary>Apps registered at start-up, as the tutorial's "Register Application" button does.</summary>
    public List<AppRegistration> SeedApps { get; } = new();
}
