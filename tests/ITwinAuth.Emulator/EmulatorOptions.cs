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

    /// <summary>Apps registered at start-up, as the tutorial's "Register Application" button does.</summary>
    public List<AppRegistration> SeedApps { get; } = new();
}
