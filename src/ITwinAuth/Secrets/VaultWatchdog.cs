using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Threading;

namespace ITwinAuth.Secrets;

/// <summary>
/// Watches one SecretManagement call, which runs synchronously on the pipeline thread, and stops it
/// when the read's deadline passes, the read is cancelled, or the command is stopped (Ctrl+C).
/// Stopping is all that can be done from another thread; the call itself cannot be abandoned, since
/// the pipeline thread is in it.
///
/// SecretManagement runs each vault extension call in a runspace of its own and waits for it
/// without watching for a stop, which is why Ctrl+C alone cannot end Get-Secret on a hung vault
/// (PowerShell stops the nested pipeline first, and waits for it). So two stops are issued: the
/// nested pipeline that called Get-Secret is stopped (that ends a wait in this runspace), and
/// SecretManagement's extension runspace is closed if it is busy (that ends a wait in vault code,
/// such as Start-Sleep or a web request: PowerShell stops the pipeline running there;
/// SecretManagement opens a new runspace at its next call). That runspace is found by reflection
/// (PowerShellInvoker._runspace, SecretManagement 1.1); when it is not there, only the first stop is
/// issued. Ctrl+C reaches this through <see cref="WatchVaultCallCommand"/>, the second command of
/// the nested pipeline, which PowerShell tells at once. Vault code blocked in a .NET call that
/// ignores a stop runs on until it returns: the read then fails as timed out (or stopped), and
/// whatever the vault answered is not used.
/// </summary>
internal sealed class VaultWatchdog : IDisposable
{
    public enum Stop { None, Deadline, Cancelled, PipelineStopped }

    private readonly object _gate = new();
    private readonly PowerShell _call;
    private readonly Timer _timer;
    private readonly CancellationTokenRegistration _registration;
    private bool _ended;
    private Stop _stopped;

    public VaultWatchdog(PowerShell call, TimeSpan left, CancellationToken cancellation)
    {
        _call = call;
        _timer = new Timer(_ => StopCall(Stop.Deadline), null, left, Timeout.InfiniteTimeSpan);
        _registration = cancellation.Register(() => StopCall(Stop.Cancelled));
    }

    /// <summary>Ends the watch once the call has returned or thrown; says whether it was stopped, and why.</summary>
    public Stop End()
    {
        lock (_gate)
        {
            _ended = true;
            return _stopped;
        }
    }

    public void Dispose()
    {
        End();
        _timer.Dispose();
        _registration.Dispose();
    }

    /// <summary>The nested pipeline is being stopped (Ctrl+C): end the vault's call too.</summary>
    public void PipelineStopping() => StopCall(Stop.PipelineStopped);

    private void StopCall(Stop why)
    {
        // Under the lock: once End() has returned, no stop can reach a later call.
        lock (_gate)
        {
            if (_ended || _stopped != Stop.None) return;
            _stopped = why;
            try
            {
                _call.BeginStop(null, null);
            }
            catch (Exception)
            {
                // The call has just ended. (This runs on a timer thread or in Ctrl+C's cancellation:
                // nothing may be thrown from here.)
            }
            CloseBusyExtensionRunspace();
        }
    }

    /// <summary>Closes SecretManagement's vault extension runspace if a call is running in it.</summary>
    private static void CloseBusyExtensionRunspace()
    {
        try
        {
            foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
            {
                if (assembly.GetName().Name != SecretManagementClient.ModuleName) continue;
                var field = assembly.GetType(SecretManagementClient.ModuleName + ".PowerShellInvoker", throwOnError: false)
                    ?.GetField("_runspace", BindingFlags.NonPublic | BindingFlags.Static);
                if (field?.GetValue(null) is Runspace { RunspaceAvailability: RunspaceAvailability.Busy } runspace)
                    runspace.CloseAsync();
            }
        }
        catch (Exception)
        {
            // Another SecretManagement than the one this was written against, or the runspace closed
            // meanwhile: only the pipeline stop applies. (Nothing may be thrown from a timer thread.)
        }
    }
}

/// <summary>
/// The second command of each SecretManagement call's pipeline: passes everything through, and
/// hears at once when PowerShell stops that pipeline (Ctrl+C), even while Get-Secret waits on a hung
/// vault, so that the watchdog can end the vault's call. Internal: never exported, called by its
/// CmdletInfo only.
/// </summary>
[Cmdlet("Watch", "ITwinVaultCall")]
internal sealed class WatchVaultCallCommand : PSCmdlet
{
    public static readonly CmdletInfo Info = new("Watch-ITwinVaultCall", typeof(WatchVaultCallCommand));

    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true)]
    public VaultWatchdog? Watchdog { get; set; }

    protected override void ProcessRecord() => WriteObject(InputObject);

    protected override void StopProcessing() => Watchdog?.PipelineStopping();
}
