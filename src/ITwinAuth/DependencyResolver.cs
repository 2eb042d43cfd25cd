#if !NET
using System;
using System.IO;
using System.Reflection;
using System.Threading;
using ITwinAuth.Core.Loading;

namespace ITwinAuth;

/// <summary>
/// The Windows PowerShell build's AssemblyResolve handler over bin/netstandard2.0/dependencies;
/// the rules are <see cref="DependencyCatalog"/>'s. Registered once however often the module is
/// imported, and removed with the module.
/// </summary>
internal static class DependencyResolver
{
    private static readonly object Gate = new();
    private static DependencyCatalog? _catalog;
    private static bool _registered;

    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            if (_catalog is null)
            {
                var moduleFolder = Path.GetDirectoryName(typeof(DependencyResolver).Assembly.Location)!;
                _catalog = new DependencyCatalog(moduleFolder, Path.Combine(moduleFolder, "dependencies"));
            }
            AppDomain.CurrentDomain.AssemblyResolve += OnAssemblyResolve;
            _registered = true;
        }
    }

    public static void Unregister()
    {
        lock (Gate)
        {
            AppDomain.CurrentDomain.AssemblyResolve -= OnAssemblyResolve;
            _registered = false;
        }
    }

    private static Assembly? OnAssemblyResolve(object? sender, ResolveEventArgs args) =>
        Volatile.Read(ref _catalog)?.Resolve(new AssemblyName(args.Name), args.RequestingAssembly) is { } path
            ? Assembly.LoadFrom(path)
            : null;
}
#endif
