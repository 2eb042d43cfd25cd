using System.Management.Automation;
#if !NET
using System;
using System.IO;
using System.Reflection;
using ITwinAuth.Core.Loading;
#endif

namespace ITwinAuth;

/// <summary>
/// Dependency isolation. The PowerShell 7 build ships no third-party assembly (the runtime has
/// System.Text.Json), so there is nothing to isolate there. The Windows PowerShell build ships
/// System.Text.Json and its closure in bin/netstandard2.0/dependencies, answered by a resolve
/// handler (see <see cref="Core.Loading.DependencyCatalog"/>) so another module's copies and ours
/// load side by side in either import order.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
#if !NET
    private static readonly object Gate = new();
    private static bool _registered;
#endif

    public void OnImport()
    {
#if !NET
        lock (Gate)
        {
            if (_registered) return;
            var moduleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
            var catalog = new DependencyCatalog(moduleFolder, Path.Combine(moduleFolder, "dependencies"));
            AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
                catalog.Resolve(new AssemblyName(args.Name), args.RequestingAssembly?.Location) is { } path
                    ? Assembly.LoadFrom(path)
                    : null;
            _registered = true;
        }
#endif
    }
}
