using System;
using System.Collections;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace ITwinAuth.Secrets;

/// <summary>
/// Calls Microsoft.PowerShell.SecretManagement through PowerShell in the current runspace, on the
/// pipeline thread (it is not thread-safe), by module-qualified name: its DLL is never referenced,
/// so the module works without it and only the vault source needs it.
/// </summary>
internal static class SecretManagementClient
{
    public const string ModuleName = "Microsoft.PowerShell.SecretManagement";
    private const string GetSecret = ModuleName + @"\Get-Secret";
    private const string GetSecretInfo = ModuleName + @"\Get-SecretInfo";
    private const string GetSecretVault = ModuleName + @"\Get-SecretVault";

    /// <summary>The stored secret: PSCredential, SecureString, Hashtable, byte[] (or a string from some vaults).</summary>
    public static object ReadSecret(string name, string? vault)
    {
        var results = Invoke(GetSecret, name, vault, ps => ps.AddParameter("Name", name));
        if (results.Count == 0 || results[0]?.BaseObject is null)
            throw NotFound(name, vault);
        return results[0].BaseObject;
    }

    /// <summary>The secret's metadata (Set-Secret -Metadata), or null when it has none.</summary>
    public static IDictionary? ReadMetadata(string name, string? vault)
    {
        var results = Invoke(GetSecretInfo, name, vault, ps => ps.AddParameter("Name", name));
        var info = results.FirstOrDefault(r => string.Equals(NameOf(r), name, StringComparison.OrdinalIgnoreCase))
                   ?? results.FirstOrDefault();
        return info?.Properties["Metadata"]?.Value switch
        {
            PSObject { BaseObject: IDictionary d } => d,
            IDictionary d => d,
            _ => null,
        };
    }

    /// <summary>Registered vault names, for completion; empty when SecretManagement is not installed.</summary>
    public static string[] VaultNames()
    {
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            return ps.AddCommand(GetSecretVault).AddParameter("ErrorAction", "Ignore").Invoke()
                .Select(NameOf).Where(n => n is not null).Select(n => n!).ToArray();
        }
        catch (Exception)
        {
            return Array.Empty<string>();
        }
    }

    public static string[] SecretNames(string? vault)
    {
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand(GetSecretInfo).AddParameter("ErrorAction", "Ignore");
            if (!string.IsNullOrEmpty(vault)) ps.AddParameter("Vault", vault);
            return ps.Invoke().Select(NameOf).Where(n => n is not null).Select(n => n!).ToArray();
        }
        catch (Exception)
        {
            return Array.Empty<string>();
        }
    }

    /// <summary>A result's Name, whether the vault gave a string or a PSObject around one.</summary>
    private static string? NameOf(PSObject result) =>
        result.Properties["Name"]?.Value is { } value ? (value is PSObject wrapped ? wrapped.BaseObject : value) as string : null;

    private static Collection<PSObject> Invoke(string command, string name, string? vault, Action<PowerShell> parameters)
    {
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand(command);
        parameters(ps);
        if (!string.IsNullOrEmpty(vault)) ps.AddParameter("Vault", vault);
        // The caller's $ErrorActionPreference must not turn "not found" or "locked" into exceptions:
        // SecretManagement reports those as error records, and they are read below.
        ps.AddParameter("ErrorAction", ActionPreference.Continue);
        Collection<PSObject> results;
        try
        {
            results = ps.Invoke();
        }
        catch (CommandNotFoundException)
        {
            throw NotInstalled();
        }
        catch (RuntimeException ex) when (IsCommandNotFound(ex))
        {
            throw NotInstalled();
        }
        catch (RuntimeException ex) when (Mentions(ex, "vault not found", "not found in registry"))
        {
            throw new ITwinAuthException(ITwinErrorIds.VaultNotFound, ITwinErrorCategory.ObjectNotFound,
                $"The SecretManagement vault '{vault}' is not registered. List vaults with Get-SecretVault, " +
                "or register one with Register-SecretVault.", vault);
        }
        catch (RuntimeException ex)
        {
            throw new ITwinAuthException(ITwinErrorIds.SecretReadFailed, ITwinErrorCategory.ReadError,
                $"Reading the secret '{name}'{InVault(vault)} failed: {Innermost(ex).Message}", name);
        }

        if (ps.HadErrors && ps.Streams.Error.Count > 0)
        {
            var error = ps.Streams.Error[0];
            var id = error.FullyQualifiedErrorId ?? string.Empty;
            if (id.StartsWith("GetSecretNotFound", StringComparison.OrdinalIgnoreCase) || error.Exception is ItemNotFoundException)
                throw NotFound(name, vault);
            if (error.Exception?.GetType().Name == "PasswordRequiredException" || Mentions(error.Exception, "password", "locked"))
                throw new ITwinAuthException(ITwinErrorIds.VaultLocked, ITwinErrorCategory.SecurityError,
                    $"The vault{(vault is null ? string.Empty : $" '{vault}'")} is locked. Unlock it first with Unlock-SecretStore " +
                    "(or Unlock-SecretVault), e.g. from a password in the runbook's credential assets.", vault ?? name);
            if (results.Count == 0)
                throw new ITwinAuthException(ITwinErrorIds.SecretReadFailed, ITwinErrorCategory.ReadError,
                    $"Reading the secret '{name}'{InVault(vault)} failed: {error.Exception?.Message}", name);
        }
        return results;
    }

    private static ITwinAuthException NotInstalled() =>
        new(ITwinErrorIds.SecretManagementNotInstalled, ITwinErrorCategory.NotInstalled,
            "The vault source needs the SecretManagement module, which is not installed. Run " +
            "'Install-Module Microsoft.PowerShell.SecretManagement' (and a vault such as " +
            "'Install-Module Microsoft.PowerShell.SecretStore'), or use -Credential, -ClientSecret or environment variables.",
            ModuleName);

    private static ITwinAuthException NotFound(string name, string? vault) =>
        new(ITwinErrorIds.SecretNotFound, ITwinErrorCategory.ObjectNotFound,
            $"No secret named '{name}' was found{InVault(vault)}. Store the app with " +
            $"Set-Secret -Name {name}{(vault is null ? string.Empty : $" -Vault {vault}")} -Secret (Get-Credential <client-id>), " +
            "or list secrets with Get-SecretInfo.", name);

    private static string InVault(string? vault) => vault is null ? " in any registered vault" : $" in the vault '{vault}'";

    private static bool IsCommandNotFound(Exception ex) =>
        ex is CommandNotFoundException || ex.InnerException is CommandNotFoundException ||
        (ex as IContainsErrorRecord)?.ErrorRecord?.FullyQualifiedErrorId?.StartsWith("CommandNotFoundException", StringComparison.Ordinal) == true;

    private static bool Mentions(Exception? ex, params string[] words)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (words.Any(w => e.Message.IndexOf(w, StringComparison.OrdinalIgnoreCase) >= 0)) return true;
        return false;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }
}
