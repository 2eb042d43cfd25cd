using System.Collections.Generic;
using System.Security;

namespace ITwinAuth.Core;

/// <summary>
/// One read of a credential source: the secret, the settings stored with it (strongest first), and
/// where it was actually found (e.g. the vault that returned it).
/// </summary>
public sealed class SourceReading
{
    public SourceReading(SecureString secret, IReadOnlyList<SettingsLayer> layers, string location, string? vault = null)
    {
        Secret = secret;
        Layers = layers;
        Location = location;
        Vault = vault;
    }

    public SecureString Secret { get; }
    public IReadOnlyList<SettingsLayer> Layers { get; }

    /// <summary>Where the secret was read, for Get-ITwinConnection and -Verbose; never the secret.</summary>
    public string Location { get; }

    /// <summary>The vault that returned the secret, when it came from one: where -ShareToken shares the token by default.</summary>
    public string? Vault { get; }
}
