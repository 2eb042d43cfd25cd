using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using ITwinAuth.Core;

namespace ITwinAuth.Secrets;

/// <summary>
/// Calls Microsoft.PowerShell.SecretManagement through PowerShell in the current runspace, on the
/// pipeline thread (it is not thread-safe), by module-qualified name: its DLL is never referenced,
/// so the module works without it and only the vault source needs it.
/// Every call names one vault (-Vault), so no other vault is touched: a locked or offline vault
/// elsewhere can neither fail nor prompt a sign-in. SecretManagement's own error records are read
/// from the call's own error stream (merged into its output, so that no transcript prints them) and
/// are then taken out of $Error: the caller sees only ITwinAuth's record, which keeps the vault's
/// reason as its InnerException. Errors are told apart by exception type and FullyQualifiedErrorId,
/// never by their English text.
/// One client is one read of the vault source, bounded by a deadline for all its calls together
/// (<see cref="ReadDeadline"/>; see <see cref="VaultWatchdog"/> for what stopping a call can do).
/// </summary>
internal sealed class SecretManagementClient
{
    public const string ModuleName = "Microsoft.PowerShell.SecretManagement";
    private const string GetSecret = ModuleName + @"\Get-Secret";
    private const string GetSecretInfo = ModuleName + @"\Get-SecretInfo";
    private const string GetSecretVault = ModuleName + @"\Get-SecretVault";
    private const string SetSecretCommand = ModuleName + @"\Set-Secret";
    private const string RemoveSecretCommand = ModuleName + @"\Remove-Secret";
    private const string PasswordRequiredType = ModuleName + ".PasswordRequiredException";

    /// <summary>How long one read of the vault source may take, all its SecretManagement calls together: as
    /// long as the sign-in's token request may take (its overall deadline), and far beyond a working vault's
    /// first call (under a second). Fixed: docs/SECRETS.md documents it.</summary>
    public static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _deadline;
    private readonly CancellationToken _cancellation;
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();

    /// <param name="deadline">How long this client's calls may take together (the vault source passes
    /// <see cref="ReadDeadline"/>).</param>
    /// <param name="cancellation">Stops a call under way (Ctrl+C).</param>
    internal SecretManagementClient(TimeSpan deadline, CancellationToken cancellation)
    {
        _deadline = deadline;
        _cancellation = cancellation;
    }

    /// <summary>The secret stored under <paramref name="name"/> in <paramref name="vault"/>:
    /// PSCredential, SecureString, Hashtable, byte[] (or a string from some vaults).</summary>
    public object ReadSecret(string name, string vault) => TryReadSecret(name, vault) ?? throw NotFound(name, vault, null);

    /// <summary>The secret stored under <paramref name="name"/> in <paramref name="vault"/>, or null when the vault has none.</summary>
    public object? TryReadSecret(string name, string vault)
    {
        var call = Invoke(GetSecret, ps => ps.AddParameter("Name", name).AddParameter("Vault", vault), ReadingOf(name, vault), vault);
        if (call.Results.FirstOrDefault() is { } value) return value.BaseObject;
        if (call.Failure(name, vault) is { } failure) throw failure;
        return null;
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="name"/> in <paramref name="vault"/>, replacing
    /// what was there, with <paramref name="metadata"/> when given and the vault keeps metadata (Set-Secret
    /// -Metadata fails on a vault that does not: the value is then written alone). Returns whether the
    /// metadata was written.</summary>
    public bool WriteSecret(string name, string vault, object value, IDictionary? metadata)
    {
        var what = $"Writing the secret '{name}' to the vault '{Shown(vault)}'";
        var call = Invoke(SetSecretCommand, ps =>
        {
            ps.AddParameter("Name", name).AddParameter("Vault", vault).AddParameter("Secret", value);
            if (metadata is not null) ps.AddParameter("Metadata", metadata);
        }, what, vault);
        if (metadata is not null && call.RefusedMetadata)
        {
            // SecretManagement removes what it wrote when the vault refuses metadata: the value goes alone.
            WriteSecret(name, vault, value, null);
            return false;
        }
        if (call.Failure(name, vault, what) is { } failure) throw failure;
        return metadata is not null;
    }

    /// <summary>Removes the secret <paramref name="name"/> from <paramref name="vault"/>; false when it was not there.</summary>
    public bool RemoveSecret(string name, string vault)
    {
        var what = $"Removing the secret '{name}' from the vault '{Shown(vault)}'";
        var call = Invoke(RemoveSecretCommand, ps => ps.AddParameter("Name", name).AddParameter("Vault", vault), what, vault);
        if (call.Errors.Count > 0 && call.Errors.All(e => HasId(e, "RemoveSecretNotFound") || e.Exception is ItemNotFoundException)) return false;
        if (call.Failure(name, vault, what) is { } failure) throw failure;
        return true;
    }

    /// <summary>
    /// The secret, searched as Get-Secret without -Vault searches (the default vault first, then the
    /// others by name), but one named vault at a time, stopping at the first that has it. As with
    /// Get-Secret, a locked default vault stops the search; another vault that cannot be read is
    /// passed over, and its error is reported only if no later vault has the secret.
    /// </summary>
    public (object Secret, string Vault) FindSecret(string name)
    {
        var vaults = VaultsInSearchOrder();
        if (vaults.Count == 0)
            throw new ITwinAuthException(ITwinErrorIds.VaultNotFound, ITwinErrorCategory.ObjectNotFound,
                $"No SecretManagement vault is registered, so the secret '{name}' cannot be read. Register one with " +
                "Register-SecretVault (e.g. Microsoft.PowerShell.SecretStore), then store the app with Set-Secret.", name);

        ITwinAuthException? passedOver = null;
        foreach (var (vault, isDefault) in vaults)
        {
            var call = Invoke(GetSecret, ps => ps.AddParameter("Name", name).AddParameter("Vault", vault), ReadingOf(name, vault), vault);
            if (call.Results.FirstOrDefault() is { } value) return (value.BaseObject, vault);
            if (call.Failure(name, vault) is not { } failure) continue;
            if (isDefault && failure.ErrorId == ITwinErrorIds.VaultLocked) throw failure;
            passedOver ??= failure;
        }
        throw passedOver ?? NotFound(name, null, vaults.Select(v => v.Name).ToArray());
    }

    /// <summary>The secret's metadata (Set-Secret -Metadata) from the one vault that holds it, or null.</summary>
    public IDictionary? ReadMetadata(string name, string vault)
    {
        // Get-SecretInfo's -Name is a wildcard filter: escape it, then take the exact name.
        var call = Invoke(GetSecretInfo, ps => ps.AddParameter("Name", WildcardPattern.Escape(name)).AddParameter("Vault", vault),
            $"Reading the metadata of the secret '{name}' from the vault '{Shown(vault)}'", vault);
        if (call.Failure(name, vault) is { } failure) throw failure;
        var info = call.Results.FirstOrDefault(r => string.Equals(NameOf(r), name, StringComparison.Ordinal))
                   ?? call.Results.FirstOrDefault(r => string.Equals(NameOf(r), name, StringComparison.OrdinalIgnoreCase));
        return info?.Properties["Metadata"]?.Value switch
        {
            PSObject { BaseObject: IDictionary d } => d,
            IDictionary d => d,
            _ => null,
        };
    }

    /// <summary>Registered vaults, the default first, then by name (Get-Secret's search order). Reads
    /// only SecretManagement's registry: no vault is called.</summary>
    public IReadOnlyList<(string Name, bool IsDefault)> VaultsInSearchOrder()
    {
        var call = Invoke(GetSecretVault, _ => { }, ListingVaults, null);
        if (call.Thrown is { } thrown) throw Classify(thrown, null, null);
        return call.Results
            .Select(v => (Name: NameOf(v), IsDefault: v.Properties["IsDefault"]?.Value is true))
            .Where(v => v.Name is not null)
            .OrderBy(v => v.IsDefault ? 0 : 1).ThenBy(v => v.Name, StringComparer.OrdinalIgnoreCase)
            .Select(v => (v.Name!, v.IsDefault))
            .ToList();
    }

    /// <summary>Registered vault names, for completion: the registry only, so nothing can prompt;
    /// empty when SecretManagement is not installed, and nothing is left in $Error.</summary>
    public static string[] VaultNames()
    {
        try
        {
            var call = new SecretManagementClient(ReadDeadline, CancellationToken.None).Invoke(GetSecretVault, _ => { }, ListingVaults, null);
            return call.Results.Select(NameOf).Where(n => n is not null).Select(n => n!).ToArray();
        }
        catch (ITwinAuthException)
        {
            return Array.Empty<string>();
        }
    }

    private const string ListingVaults = "Listing the SecretManagement vaults";

    private static string ReadingOf(string name, string vault) => $"Reading the secret '{name}' from the vault '{Shown(vault)}'";

    /// <summary>A vault name as a message shows it: it may come from SecretManagement's registry.</summary>
    internal static string Shown(string? vault) => VaultText.Excerpt(vault, 100);

    /// <summary>One call, on the pipeline thread, stopped if it outlives what is left of the deadline
    /// or the command is stopped. A call that was stopped, or that returned only after the deadline,
    /// fails as timed out and its results are not used.</summary>
    private Invocation Invoke(string command, Action<PowerShell> parameters, string what, string? vault)
    {
        _cancellation.ThrowIfCancellationRequested();
        var left = _deadline - _elapsed.Elapsed;
        if (left <= TimeSpan.Zero) throw TimedOut(what, vault);
        var errorLog = ErrorLog.Snapshot();
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            using var watchdog = new VaultWatchdog(ps, left, _cancellation);
            ps.AddCommand(command);
            parameters(ps);
            // The caller's $ErrorActionPreference must not turn "not found" or "locked" into exceptions,
            // and the records must reach this code, not the host or a transcript.
            ps.AddParameter("ErrorAction", ActionPreference.Continue);
            ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
            ps.AddCommand(WatchVaultCallCommand.Info).AddParameter("Watchdog", watchdog);
            Collection<PSObject> output;
            try
            {
                output = ps.Invoke();
            }
            catch (RuntimeException ex) when (ex is not PipelineStoppedException || watchdog.End() != VaultWatchdog.Stop.None)
            {
                ThrowIfStopped(watchdog.End(), what, vault);
                return new Invocation(new List<PSObject>(), new List<ErrorRecord>(), ex, true);
            }
            ThrowIfStopped(watchdog.End(), what, vault);
            if (_elapsed.Elapsed > _deadline) throw TimedOut(what, vault);
            var errors = output.Select(o => o?.BaseObject).OfType<ErrorRecord>().ToList();
            var results = output.Where(o => o?.BaseObject is not null and not ErrorRecord).ToList();
            return new Invocation(results, errors, null, ps.HadErrors);
        }
        finally
        {
            errorLog.ForgetNewEntries();
        }
    }

    private void ThrowIfStopped(VaultWatchdog.Stop stopped, string what, string? vault)
    {
        switch (stopped)
        {
            case VaultWatchdog.Stop.Cancelled:
                throw new OperationCanceledException(_cancellation);
            case VaultWatchdog.Stop.Deadline:
                throw TimedOut(what, vault);
            case VaultWatchdog.Stop.PipelineStopped:
                // PowerShell stopped the call's pipeline. Ctrl+C does that first and then stops this
                // command, which cancels the read; a host that meets the end of its input at a vault's
                // password prompt stops the call's pipeline only, and the call is then what it gave
                // (nothing, with errors: SecretReadFailed).
                if (_cancellation.CanBeCanceled && _cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(2)))
                    throw new OperationCanceledException(_cancellation);
                break;
        }
    }

    private ITwinAuthException TimedOut(string what, string? vault) =>
        new(ITwinErrorIds.VaultTimedOut, ITwinErrorCategory.OperationTimeout,
            $"{what} did not finish within {Seconds(_deadline)} s, the longest this vault call may take, so ITwinAuth stopped it " +
            $"(after {Seconds(_elapsed.Elapsed)} s; a vault call that does not heed a stop is waited for, and its answer is not used). " +
            (vault is null
                ? "Check that Get-SecretVault answers, "
                : $"Check the vault and what it depends on (Test-SecretVault -Name {Shown(vault)}, its network or service), ") +
            "or sign in from another source (-Credential, -ClientSecret or environment variables) until it answers.",
            vault ?? ModuleName);

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>What one call gave: results, the error records it wrote, or what it threw.</summary>
    private sealed class Invocation
    {
        public Invocation(List<PSObject> results, List<ErrorRecord> errors, RuntimeException? thrown, bool hadErrors)
        {
            Results = results;
            Errors = errors;
            Thrown = thrown;
            HadErrors = hadErrors;
        }

        public List<PSObject> Results { get; }
        public List<ErrorRecord> Errors { get; }
        public RuntimeException? Thrown { get; }
        public bool HadErrors { get; }

        /// <summary>The vault refused the secret's metadata (it keeps none): SecretManagement's error ids for it
        /// all name metadata, and no other error of Set-Secret does.</summary>
        public bool RefusedMetadata =>
            (Thrown?.ErrorRecord is { } thrown && NamesMetadata(thrown)) || Errors.Any(NamesMetadata);

        private static bool NamesMetadata(ErrorRecord record) =>
            record.FullyQualifiedErrorId?.IndexOf("Metadata", StringComparison.OrdinalIgnoreCase) >= 0;

        /// <summary>The failure to report, or null when the call simply found nothing.</summary>
        /// <param name="what">What the call was doing, for the message: reading the secret unless said.</param>
        public ITwinAuthException? Failure(string name, string vault, string? what = null)
        {
            if (Thrown is not null) return Classify(Thrown, name, vault, what: what);
            // A vault that failed outranks the "not found" SecretManagement writes after it.
            var failed = Errors.FirstOrDefault(e => !HasId(e, "GetSecretNotFound"));
            if (failed is not null) return Classify(failed.Exception, name, vault, failed, what);
            if (Errors.Count > 0) return null;
            if (HadErrors)
                return new ITwinAuthException(ITwinErrorIds.SecretReadFailed, ITwinErrorCategory.ReadError,
                    $"{what ?? ReadingOf(name, vault)} failed without a reason (the vault may have " +
                    "asked for a password where none can be typed). Unlock it first, e.g. with Unlock-SecretStore.", vault);
            return null;
        }
    }

    private static ITwinAuthException Classify(Exception exception, string? name, string? vault, ErrorRecord? record = null, string? what = null)
    {
        record ??= (exception as IContainsErrorRecord)?.ErrorRecord;
        if (Chain(exception).Any(e => e is CommandNotFoundException) || HasId(record, "CommandNotFoundException"))
            return NotInstalled();
        if (HasId(record, "GetSecretVaultNotFound"))
            return new ITwinAuthException(ITwinErrorIds.VaultNotFound, ITwinErrorCategory.ObjectNotFound,
                $"The SecretManagement vault '{Shown(vault)}' is not registered. List vaults with Get-SecretVault, " +
                "or register one with Register-SecretVault.", vault, exception);
        if (Chain(exception).Any(e => e.GetType().FullName == PasswordRequiredType) || HasId(record, PasswordRequiredType))
            return new ITwinAuthException(ITwinErrorIds.VaultLocked, ITwinErrorCategory.SecurityError,
                $"The vault '{Shown(vault)}' is locked. Unlock it first with Unlock-SecretStore (or Unlock-SecretVault -Name {Shown(vault)}), " +
                "e.g. from a password in the runbook's credential assets, and configure it with -Interaction None so that it never prompts.",
                vault, exception);
        // The vault's own words: its text, so no control characters, and an excerpt.
        var reason = VaultText.Excerpt(Chain(exception).Last().Message);
        what ??= name is null ? ListingVaults : ReadingOf(name, vault!);
        return new ITwinAuthException(ITwinErrorIds.SecretReadFailed, ITwinErrorCategory.ReadError,
            $"{what} failed: {reason}", vault ?? ModuleName, exception);
    }

    private static ITwinAuthException NotInstalled() =>
        new(ITwinErrorIds.SecretManagementNotInstalled, ITwinErrorCategory.NotInstalled,
            "The vault source needs the SecretManagement module, which is not installed. Run " +
            "'Install-Module Microsoft.PowerShell.SecretManagement' (and a vault such as " +
            "'Install-Module Microsoft.PowerShell.SecretStore'), or use -Credential, -ClientSecret or environment variables.",
            ModuleName);

    private static ITwinAuthException NotFound(string name, string? vault, string[]? searched) =>
        new(ITwinErrorIds.SecretNotFound, ITwinErrorCategory.ObjectNotFound,
            $"No secret named '{name}' was found " +
            (vault is not null ? $"in the vault '{Shown(vault)}'" : $"in the vaults {string.Join(", ", searched!.Select(v => $"'{Shown(v)}'"))}") +
            $". Store the app with Set-Secret -Name {name}{(vault is null ? string.Empty : $" -Vault {Shown(vault)}")} -Secret (Get-Credential <client-id>), " +
            "or list secrets with Get-SecretInfo.", name);

    private static bool HasId(ErrorRecord? record, string id)
    {
        var fqid = record?.FullyQualifiedErrorId;
        return fqid is not null && (fqid == id || fqid.StartsWith(id + ",", StringComparison.Ordinal));
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException) yield return e;
    }

    /// <summary>A result's Name, whether the vault gave a string or a PSObject around one.</summary>
    private static string? NameOf(PSObject? result) =>
        result?.Properties["Name"]?.Value is { } value ? PowerShellValues.Unwrap(value) as string : null;
}
