using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>
/// Makes the caller's own objects for JSON objects and arrays (PSCustomObject, Hashtable...), so no
/// JSON-library type crosses out of the core. Scalars arrive already converted: string, bool,
/// null, and numbers as the smallest fitting of int, long, BigInteger (up to 1,000 digits) or double, else their text.
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
/// millions of tiny values ("[0,0,0,...]", "[{},{},...]"), each of which costs far more as an object
/// than as a byte (an empty PSCustomObject about 330 bytes); past this budget the conversion stops with
/// <see cref="ITwinErrorIds.ResponseTooComplex"/>, so memory stays a small multiple of the body limit.
/// The requests of a fan-out hold their results at once, so they share a budget as their bodies share
/// theirs (<see cref="HttpCall.FanOutBodyBudget"/>). A page of 1,000 iTwins is about 30,000 values.
/// </summary>
public sealed class ConversionBudget
{
    public const int MaximumValues = 1_000_000;

    /// <summary>What the requests of a fan-out (-ThrottleLimit N) may convert together: each gets this
    /// divided by N, and never more than <see cref="MaximumValues"/> (62,500 each at the most, 64).</summary>
    public const int FanOutValues = 4_000_000;

    /// <summary>The budget of one of <paramref name="concurrent"/> requests under way at once.</summary>
    public static int MaximumFor(int concurrent) => Math.Min(MaximumValues, FanOutValues / Math.Max(1, concurrent));

    private readonly string _target;
    private readonly int _maximum;
    private int _left;

    public ConversionBudget(string target, int maximum = MaximumValues)
    {
        _target = target;
        _maximum = maximum;
        _left = maximum;
    }

    /// <summary>Counts one value (or one item written raw); throws when the budget is spent.</summary>
    public void Spend()
    {
        if (--_left >= 0) return;
        throw TooComplex(_target, _maximum);
    }

    /// <summary>
    /// How many JSON values <paramref name="utf8"/> holds, counted without building anything and no further
    /// than <paramref name="maximum"/> + 1. A parsed document costs 12 bytes a value before any conversion
    /// (six times a body of "[0,0,...]"), so a body past its budget is refused by this count, never parsed.
    /// Bytes that are not JSON count as far as they go: the parser says what they are.
    /// </summary>
    public static int CountValues(ReadOnlySpan<byte> utf8, int maximum)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = JsonRead.MaximumDepth });
        var count = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.EndObject or JsonTokenType.EndArray or JsonTokenType.Comment) continue;
                if (++count > maximum) break;
            }
        }
        catch (JsonException)
        {
        }
        return count;
    }

    public static ITwinAuthException TooComplex(string target, int maximum) =>
        new(ITwinErrorIds.ResponseTooComplex, ITwinErrorCategory.LimitsExceeded,
            $"{target} answered with more than {maximum:N0} JSON values in one response, more than ITwinAuth turns into objects at once" +
            (maximum < MaximumValues ? $" (the requests of a -ThrottleLimit fan-out share {FanOutValues:N0}: a lower -ThrottleLimit gives each more)" : string.Empty) +
            ". Use -Raw for the text, -OutFile to save it, or a smaller page ($top).", target);
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

    /// <summary>The most digits an integer may have to become a BigInteger: BigInteger's parse and print
    /// grow faster than the digits (one integer of 16 MB, within every limit, took 30 s to convert, and
    /// printing one of 1 MB takes as long), and no quantity has more. A longer one is kept as its text.</summary>
    public const int MaximumIntegerDigits = 1000;

    private static object Number(JsonElement element)
    {
        if (element.TryGetInt32(out var i)) return i;
        if (element.TryGetInt64(out var l)) return l;
        var text = element.GetRawText();
        if (text.IndexOfAny(new[] { '.', 'e', 'E' }) < 0)
            return text.Length - (text[0] == '-' ? 1 : 0) <= MaximumIntegerDigits &&
                   BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big)
                ? big
                : text;
        // Out of double's range: older System.Text.Json throws where newer returns infinity; keep the text.
        return element.TryGetDouble(out var real) && !double.IsInfinity(real) ? real : text;
    }
}
