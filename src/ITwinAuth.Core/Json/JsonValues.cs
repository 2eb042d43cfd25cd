using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>
/// Makes the caller's own objects for JSON objects and arrays (PSCustomObject, Hashtable...), so no
/// JSON-library type crosses out of the core. Scalars arrive already converted: string, bool,
/// null, and numbers as the smallest fitting of int, long, BigInteger or double.
/// </summary>
public abstract class JsonValueFactory
{
    public abstract object CreateObject(IReadOnlyList<KeyValuePair<string, object?>> properties);

    public virtual object CreateArray(IReadOnlyList<object?> items)
    {
        var array = new object?[items.Count];
        for (var i = 0; i < array.Length; i++) array[i] = items[i];
        return array;
    }
}

/// <summary>
/// How many JSON values one response may become. A body within its byte limit can still hold
/// millions of tiny values ("[0,0,0,...]"), each of which costs far more as an object than as a
/// byte; past this budget the conversion stops with <see cref="ITwinErrorIds.ResponseTooComplex"/>,
/// so memory stays a small multiple of the body limit. A page of 1,000 iTwins is about 30,000 values.
/// </summary>
public sealed class ConversionBudget
{
    public const int MaximumValues = 1_000_000;

    private readonly string _target;
    private int _left;

    public ConversionBudget(string target, int maximum = MaximumValues)
    {
        _target = target;
        _left = maximum;
    }

    /// <summary>Counts one value (or one item written raw); throws when the budget is spent.</summary>
    public void Spend()
    {
        if (--_left >= 0) return;
        throw new ITwinAuthException(ITwinErrorIds.ResponseTooComplex, ITwinErrorCategory.LimitsExceeded,
            $"{_target} answered with more than {MaximumValues:N0} JSON values in one response, more than ITwinAuth turns into objects at once. " +
            "Use -Raw for the text, -OutFile to save it, or a smaller page ($top).", _target);
    }
}

/// <summary>The one place JSON values become .NET values, within a <see cref="ConversionBudget"/>.</summary>
internal static class JsonValues
{
    public static object? Convert(JsonElement element, JsonValueFactory factory, ConversionBudget budget)
    {
        budget.Spend();
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<KeyValuePair<string, object?>>();
                foreach (var property in element.EnumerateObject())
                    properties.Add(new KeyValuePair<string, object?>(property.Name, Convert(property.Value, factory, budget)));
                return factory.CreateObject(properties);
            case JsonValueKind.Array:
                var items = new List<object?>(element.GetArrayLength());
                foreach (var item in element.EnumerateArray()) items.Add(Convert(item, factory, budget));
                return factory.CreateArray(items);
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                return Number(element);
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    private static object Number(JsonElement element)
    {
        if (element.TryGetInt32(out var i)) return i;
        if (element.TryGetInt64(out var l)) return l;
        var text = element.GetRawText();
        if (text.IndexOfAny(new[] { '.', 'e', 'E' }) < 0 &&
            BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
            return big;
        // Out of double's range: older System.Text.Json throws where newer returns infinity; keep the text.
        return element.TryGetDouble(out var real) && !double.IsInfinity(real) ? real : text;
    }
}
