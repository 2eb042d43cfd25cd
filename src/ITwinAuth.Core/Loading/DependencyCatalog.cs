using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace ITwinAuth.Core.Loading;

/// <summary>
/// The third-party assemblies the Windows PowerShell build ships in its private dependencies
/// folder, and the rule for answering an assembly-resolve request with one of them:
/// <list type="bullet">
/// <item>a request from ITwinAuth's own folders gets ITwinAuth's copy, whatever version it names
/// (the binding redirect that powershell.exe lacks);</item>
/// <item>a request from anyone else gets ITwinAuth's copy only if it asks for exactly that version,
/// so another module is never handed a version it did not ask for.</item>
/// </list>
/// Nothing is found by probing: the folder is not next to the module's assemblies.
/// </summary>
public sealed class DependencyCatalog
{
    private readonly string _moduleFolder;
    private readonly Dictionary<string, (string Path, Version? Version)> _assemblies = new(StringComparer.OrdinalIgnoreCase);

    public DependencyCatalog(string moduleFolder, string dependencyFolder)
    {
        _moduleFolder = Path.GetFullPath(moduleFolder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!Directory.Exists(dependencyFolder)) return;
        foreach (var file in Directory.GetFiles(dependencyFolder, "*.dll"))
        {
            try
            {
                var name = AssemblyName.GetAssemblyName(file);
                if (name.Name is not null) _assemblies[name.Name] = (file, name.Version);
            }
            catch (BadImageFormatException)
            {
                // not a managed assembly: never offered
            }
        }
    }

    public IReadOnlyCollection<string> Names => _assemblies.Keys;

    /// <summary>The path to load for <paramref name="requested"/>, or null to let others answer.</summary>
    public string? Resolve(AssemblyName requested, string? requesterLocation)
    {
        if (requested.Name is null || !_assemblies.TryGetValue(requested.Name, out var entry)) return null;
        if (IsOurs(requesterLocation)) return entry.Path;
        return requested.Version is not null && requested.Version == entry.Version ? entry.Path : null;
    }

    private bool IsOurs(string? location) =>
        !string.IsNullOrEmpty(location) &&
        Path.GetFullPath(location).StartsWith(_moduleFolder, StringComparison.OrdinalIgnoreCase);
}
