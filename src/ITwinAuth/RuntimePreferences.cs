using System;
using System.Management.Automation;
using System.Reflection;

namespace ITwinAuth;

/// <summary>
/// A command's effective -Verbose and -Debug preference, as its caller's scope sees them
/// (GetVariableValue would read the module's scope instead). PowerShell has no public API for it,
/// so this reads the command runtime's internal properties: the one place that does, and if they
/// are ever missing or throw, every message is shown (the safe side).
/// </summary>
internal static class RuntimePreferences
{
    private static readonly PropertyInfo? Verbose = Internal("VerbosePreference");
    private static readonly PropertyInfo? Debug = Internal("DebugPreference");

    public static ActionPreference? VerboseOf(ICommandRuntime runtime) => Read(Verbose, runtime);

    public static ActionPreference? DebugOf(ICommandRuntime runtime) => Read(Debug, runtime);

    /// <summary>Whether messages at this preference are shown (unknown counts as shown).</summary>
    public static bool Shows(ActionPreference? preference) =>
        preference is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);

    private static PropertyInfo? Internal(string name) =>
        typeof(PSCmdlet).Assembly.GetType("System.Management.Automation.MshCommandRuntime")
            ?.GetProperty(name, BindingFlags.Instance | BindingFlags.NonPublic);

    private static ActionPreference? Read(PropertyInfo? property, ICommandRuntime runtime)
    {
        try
        {
            return property?.GetValue(runtime) as ActionPreference?;
        }
        catch (Exception)
        {
            return null;
        }
    }
}
