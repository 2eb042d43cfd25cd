using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace ITwinAuth.Secrets;

/// <summary>
/// The secrets this process has signed in with, per vault: what -SecretName completes. Completion
/// never asks a vault for its secret names, because a locked SecretStore set to -Interaction Prompt
/// would ask for its password at a Tab press.
/// </summary>
internal static class RecentSecrets
{
    private static readonly ConcurrentDictionary<(string Vault, string Name), byte> Known = new();

    public static void Remember(string vault, string name) => Known[(vault.ToUpperInvariant(), name)] = 0;

    /// <summary>Forgets them (module removal).</summary>
    public static void Forget() => Known.Clear();

    public static IEnumerable<string> Names(string? vault) =>
        Known.Keys.Where(k => vault is null || string.Equals(k.Vault, vault.ToUpperInvariant(), StringComparison.Ordinal))
            .Select(k => k.Name).Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.OrdinalIgnoreCase);
}
