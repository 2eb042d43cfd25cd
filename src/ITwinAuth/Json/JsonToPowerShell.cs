using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Numerics;
using System.Text.Json;

namespace ITwinAuth.Json;

/// <summary>JSON to PowerShell, as ConvertFrom-Json does: objects become PSCustomObjects (or
/// hashtables), numbers the smallest fitting type, strings stay strings.</summary>
internal static class JsonToPowerShell
{
    public static object? Convert(JsonElement element, bool asHashtable) => element.ValueKind switch
    {
        JsonValueKind.Object => asHashtable ? ToHashtable(element) : ToPSObject(element),
        JsonValueKind.Array => ToArray(element, asHashtable),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => ToNumber(element),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static PSObject ToPSObject(JsonElement element)
    {
        var result = new PSObject();
        foreach (var property in element.EnumerateObject())
        {
            var value = Convert(property.Value, false);
            if (result.Properties[property.Name] is { } existing)
                existing.Value = value; // duplicate (or case-different) names: the last one wins
            else
                result.Properties.Add(new PSNoteProperty(property.Name, value));
        }
        return result;
    }

    private static Hashtable ToHashtable(JsonElement element)
    {
        var result = new Hashtable(System.StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject()) result[property.Name] = Convert(property.Value, true);
        return result;
    }

    private static object?[] ToArray(JsonElement element, bool asHashtable)
    {
        var result = new object?[element.GetArrayLength()];
        var i = 0;
        foreach (var item in element.EnumerateArray()) result[i++] = Convert(item, asHashtable);
        return result;
    }

    private static object ToNumber(JsonElement element)
    {
        if (element.TryGetInt32(out var i)) return i;
        if (element.TryGetInt64(out var l)) return l;
        var text = element.GetRawText();
        if (text.IndexOfAny(new[] { '.', 'e', 'E' }) < 0 &&
            BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
            return big;
        return element.GetDouble();
    }
}
