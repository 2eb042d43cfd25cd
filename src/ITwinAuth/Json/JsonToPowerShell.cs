using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using ITwinAuth.Core;

namespace ITwinAuth.Json;

/// <summary>JSON objects as PSCustomObjects, as ConvertFrom-Json makes them. A name that comes
/// twice (or differs only in case, which PowerShell treats as the same) keeps its last value.</summary>
internal sealed class PSObjectFactory : JsonValueFactory
{
    public static readonly PSObjectFactory Instance = new();

    public override object CreateObject(IReadOnlyList<KeyValuePair<string, object?>> properties)
    {
        var result = new PSObject();
        // Names are checked here, once, so PowerShell need not validate each add (preValidated):
        // that validation was most of the cost of paging.
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in properties)
        {
            if (property.Key.Length == 0)
                throw new ITwinAuthException(ITwinErrorIds.ResponseNotConvertible, ITwinErrorCategory.InvalidResult,
                    "The response has a JSON property whose name is empty, which a PSCustomObject cannot hold. Use -AsHashtable or -Raw.");
            if (seen.Add(property.Key))
                result.Properties.Add(new PSNoteProperty(property.Key, property.Value), preValidated: true);
            else
                result.Properties[property.Key].Value = property.Value;
        }
        return result;
    }
}

/// <summary>JSON objects as case-insensitive Hashtables (-AsHashtable), in the body's key order where
/// PowerShell has an ordered Hashtable (7.3+, as ConvertFrom-Json -AsHashtable makes); a plain one before.</summary>
internal sealed class HashtableFactory : JsonValueFactory
{
    public static readonly HashtableFactory Instance = new();

    private static readonly Type? Ordered =
        typeof(PSObject).Assembly.GetType("System.Management.Automation.OrderedHashtable", throwOnError: false);

    public override object CreateObject(IReadOnlyList<KeyValuePair<string, object?>> properties)
    {
        var result = Ordered is not null ? (Hashtable)Activator.CreateInstance(Ordered)! : new Hashtable(properties.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var property in properties) result[property.Key] = property.Value;
        return result;
    }
}
