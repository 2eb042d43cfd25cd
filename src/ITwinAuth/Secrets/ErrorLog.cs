using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace ITwinAuth.Secrets;

/// <summary>
/// $Error as it was before a call into another module, so that the records that call added (the
/// newest entries, at the front) can be taken out again: the user should find ITwinAuth's one
/// record there, not SecretManagement's or PowerShell's (CommandNotFoundException) beside it.
/// </summary>
internal sealed class ErrorLog
{
    private readonly ArrayList? _errors;
    private readonly object? _newestBefore;

    private ErrorLog(ArrayList? errors)
    {
        _errors = errors;
        _newestBefore = errors is { Count: > 0 } ? errors[0] : null;
    }

    /// <summary>Must run on the pipeline thread, like the call it brackets.</summary>
    public static ErrorLog Snapshot()
    {
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            var value = ps.AddCommand(@"Microsoft.PowerShell.Utility\Get-Variable")
                .AddParameter("Name", "Error").AddParameter("Scope", "Global").AddParameter("ValueOnly", true)
                .Invoke().FirstOrDefault()?.BaseObject;
            return new ErrorLog(value as ArrayList);
        }
        catch (RuntimeException)
        {
            return new ErrorLog(null);
        }
    }

    public void ForgetNewEntries()
    {
        if (_errors is null) return;
        while (_errors.Count > 0 && !ReferenceEquals(_errors[0], _newestBefore)) _errors.RemoveAt(0);
    }
}
