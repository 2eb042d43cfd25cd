using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace ITwinAuth.Core.Loading;

/// <summary>
/// The third-party assemblies the Windows PowerShell build ships in its private dependencies
/// folder, and the rule for answering an assembly-resolve request with one of them. The requester
/// decides:
/// <list type="bullet">
/// <item>ITwinAuth's own assemblies, or one of the shipped dependencies: our copy, whatever version
/// they name (the binding redirect that powershell.exe lacks);</item>
/// <item>no requester (.NET Framework often names none): our copy, unless a newer version than
/// ours is asked for, which our copy could not satisfy and another module's handler may;</item>
/// <item>anyone else: our copy only for exactly our version, so another module is never handed a
/// version it did not ask for.</item>
/// </list>
/// Nothing is found by probing: the folder is not next to the module's assemblies.
/// </summary>
public sealed class DependencyCatalog
{
    private static readonly string[] OwnAssemblies = { "ITwinAuth.dll", "ITwinAuth.Core.dll" };

    private readonly HashSet<string> _ours = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (string Path, Version? Version)> _assemblies = new(StringComparer.OrdinalIgnoreCase);

    public DependencyCatalog(string moduleFolder, string dependencyFolder)
    {
        foreach (var own in OwnAssemblies) _ours.Add(Path.GetFullPath(Path.Combine(moduleFolder, own)));
        if (!Directory.Exists(dependencyFolder)) return;
        foreach (var file in Directory.GetFiles(dependencyFolder, "*.dll"))
        {
            try
            {
                var name = AssemblyName.GetAssemblyName(file);
                if (name.Name is null) continue;
                var path = Path.GetFullPath(file);
                _assemblies[name.Name] = (path, name.Version);
                _ours.Add(path);
            }
            catch (BadImageFormatException)
            {
                // not a managed assembly: never offered
            }
        }
    }

    public IReadOnlyCollection<string> Names => _assemblies.Keys;

    /// <summary>The path to load for <paramref name="requested"/>, or null to let others answer.</summary>
    public string? Resolve(AssemblyName requested, Assembly? requester) =>
        Resolve(requested, requester is null ? null : LocationOf(requester));

    /// <summary>The path to load for <paramref name="requested"/>, or null to let others answer.</summary>
    /// <param name="requested">The assembly asked for.</param>
    /// <param name="requesterLocation">The requesting assembly's file: null when the runtime names no
    /// requester, empty for one that has no file (dynamic or loaded from bytes).</param>
    public string? Resolve(AssemblyName requested, string? requesterLocation)
    {
        if (requested.Name is null || !_assemblies.TryGetValue(requested.Name, out var shipped)) return null;
        if (requesterLocation is null)
            return requested.Version is null || shipped.Version is null || requested.Version <= shipped.Version ? shipped.Path : null;
        if (IsOurs(requesterLocation)) return shipped.Path;
        return requested.Version is not null && requested.Version == shipped.Version ? shipped.Path : null;
    }

    private bool IsOurs(string location)
    {
        if (location.Length == 0) return false;
        try
        {
            return _ours.Contains(Path.GetFullPath(location));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return false;
        }
    }

    // Assembly.Location throws for a dynamic assembly on .NET Framework, and a resolve handler that
    // throws breaks the load it was asked about; PowerShell classes and Add-Type make such assemblies.
    private static string LocationOf(Assembly assembly)
    {
        if (assembly.IsDynamic) return string.Empty;
        try
        {
            return assembly.Location;
        }
        catch (NotSupportedException)
        {
            return string.Empty;
        }
    }
}
