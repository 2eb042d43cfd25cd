using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace ITwinAuth;

/// <summary>Takes PowerShell's PSObject wrapper off a value (but not off a PSCustomObject, which is
/// nothing without it), so the core sees plain .NET values.</summary>
internal static class PowerShellValues
{
    public static object? Unwrap(object? value) =>
        value is PSObject { BaseObject: not PSCustomObject } wrapped ? wrapped.BaseObject : value;

    /// <summary>The same, and for a list (not a string or a dictionary) its items too.</summary>
    public static object? UnwrapList(object? value)
    {
        value = Unwrap(value);
        if (value is string or IDictionary or not IEnumerable) return value;
        var items = new List<object?>();
        foreach (var item in (IEnumerable)value) items.Add(Unwrap(item));
        return items;
    }
}
