using System.Management.Automation;

namespace ITwinAuth;

/// <summary>
/// Dependency isolation. The PowerShell 7 build ships no third-party assembly (the runtime has
/// System.Text.Json), so there is nothing to isolate there. The Windows PowerShell build ships
/// System.Text.Json and its closure in bin/netstandard2.0/dependencies, answered by a resolve
/// handler (<see cref="DependencyResolver"/>) from import to removal, so another module's copies
/// and ours load side by side in either import order.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport()
    {
#if !NET
        DependencyResolver.Register();
#endif
    }
}

/// <summary>Remove-Module (and Import-Module -Force) takes the resolve handler away again.</summary>
public sealed class ModuleCleanup : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
#if !NET
        DependencyResolver.Unregister();
#endif
    }
}
