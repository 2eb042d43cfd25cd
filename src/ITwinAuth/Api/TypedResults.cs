using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text;
using ITwinAuth.Core;
using ITwinAuth.Json;

namespace ITwinAuth.Api;

/// <summary>
/// Invoke-ITwinRequest's JSON results with the platform's type names: each item of a listing, and the
/// one object a single-resource envelope wraps, gets its resource's type name (by the envelope's key,
/// <see cref="ApiCatalogue"/>) in front of PSCustomObject's. The envelope itself stays a plain
/// PSCustomObject. The per-item work is one type-name stamp (<see cref="TypeNameStamp"/>); values and properties are the JSON's,
/// untouched. Only PSCustomObjects are typed: -AsHashtable and -Raw results are what they were.
/// </summary>
internal static class TypedResults
{
    /// <summary>A whole body (no -Unwrap).</summary>
    public static object? Convert(JsonBody body, JsonValueFactory factory)
    {
        var value = body.Convert(factory);
        if (factory is PSObjectFactory) TypeEnvelope(value);
        return value;
    }

    /// <summary>-Unwrap: the one value the envelope wraps, or the whole body when it wraps more (as
    /// <see cref="JsonBody.ConvertUnwrapped"/>). For PSCustomObjects the body is converted whole and
    /// unwrapped here, since the envelope's key names the type.</summary>
    public static object? ConvertUnwrapped(JsonBody body, JsonValueFactory factory, out bool isArray)
    {
        if (factory is not PSObjectFactory) return body.ConvertUnwrapped(factory, out isArray);
        var whole = body.Convert(factory);
        TypeEnvelope(whole);
        var value = Unwrapped(whole);
        isArray = value is object?[];
        return value;
    }

    /// <summary>A page's items (-All, -First, -Skip), each typed by the page's collection.</summary>
    public static IEnumerable<object?> Items(Page page, JsonValueFactory factory, int skip)
    {
        var items = page.ConvertItems(factory, skip);
        return factory is PSObjectFactory && page.CollectionName is { } name ? Typed(items, ApiCatalogue.TypeNameOf(name)) : items;
    }

    private static IEnumerable<object?> Typed(IEnumerable<object?> items, string typeName)
    {
        foreach (var item in items)
        {
            if (item is PSObject typed) TypeNameStamp.Apply(typed, typeName);
            yield return item;
        }
    }

    /// <summary>The envelope's shape as the core reads it (<see cref="Envelope"/>): a listing's items are
    /// the first array beside _links; a single resource is the one object beside _links.</summary>
    private static void TypeEnvelope(object? body)
    {
        if (!IsObject(body, out var root)) return;
        PSPropertyInfo? only = null;
        var count = 0;
        foreach (var property in NoteProperties(root))
        {
            if (property.Value is object?[] items)
            {
                var typeName = ApiCatalogue.TypeNameOf(property.Name);
                foreach (var item in items)
                    if (item is PSObject typed) TypeNameStamp.Apply(typed, typeName);
                return;
            }
            only = property;
            count++;
        }
        if (count == 1 && IsObject(only!.Value, out var single)) TypeNameStamp.Apply(single, ApiCatalogue.TypeNameOf(only.Name));
    }

    private static object? Unwrapped(object? body)
    {
        if (!IsObject(body, out var root)) return body;
        PSPropertyInfo? only = null;
        foreach (var property in NoteProperties(root))
        {
            if (only is not null) return body;
            only = property;
        }
        return only is null ? body : only.Value;
    }

    /// <summary>The JSON's properties (the factory makes note properties), _links left out.</summary>
    private static IEnumerable<PSPropertyInfo> NoteProperties(PSObject value) =>
        value.Properties.Where(p => p is PSNoteProperty && !string.Equals(p.Name, Envelope.LinksProperty, StringComparison.Ordinal));

    private static bool IsObject(object? value, out PSObject result)
    {
        result = (value as PSObject)!;
        return result?.BaseObject is PSCustomObject;
    }
}

/// <summary>What the views of ITwinAuth.Api.Format.ps1xml call: the module's one date format, and
/// Format-List's shape for items of unknown resources.</summary>
public static class ApiFormat
{
    /// <summary>The date format of every ITwinAuth view (ITwinAuth.Format.ps1xml's): UTC, to the second.</summary>
    public const string DateFormat = "yyyy-MM-dd HH:mm:ss'Z'";

    /// <summary>An ISO 8601 date (the JSON's string) in <see cref="DateFormat"/>; anything else as it is.</summary>
    public static object? Date(object? value)
    {
        value = value is PSObject wrapped ? wrapped.BaseObject : value;
        return value switch
        {
            string text when LooksLikeIsoDate(text) &&
                DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) => Show(parsed),
            DateTimeOffset offset => Show(offset),
            DateTime time => Show(time.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(time, TimeSpan.Zero) : new DateTimeOffset(time)),
            _ => value,
        };
    }

    private static string Show(DateTimeOffset value) => value.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    private static bool LooksLikeIsoDate(string text) =>
        text.Length >= 10 && char.IsDigit(text[0]) && text[4] == '-' && text[7] == '-';

    /// <summary>"name : value" lines, names padded to the longest, as Format-List shows them: nested
    /// objects as @{...}, lists as {a, b, c, d…}. A list whatever the number or width of the properties,
    /// so an item of an unknown resource never becomes a table of squeezed columns.</summary>
    public static string List(object? item)
    {
        if (item is not PSObject value) return Text(item);
        var properties = value.Properties.ToList();
        if (properties.Count == 0) return string.Empty;
        var width = properties.Max(p => p.Name.Length);
        var text = new StringBuilder();
        foreach (var property in properties)
        {
            object? propertyValue;
            try { propertyValue = property.Value; }
            catch (GetValueException) { propertyValue = null; }
            if (text.Length > 0) text.AppendLine();
            text.Append(property.Name.PadRight(width)).Append(" : ").Append(Text(propertyValue));
        }
        return text.ToString();
    }

    private const int EnumerationLimit = 4;

    private static string Text(object? value)
    {
        value = value is PSObject { BaseObject: not PSCustomObject } wrapped ? wrapped.BaseObject : value;
        switch (value)
        {
            case null:
                return string.Empty;
            case string s:
                return s;
            case PSObject custom:
                return custom.ToString();
            case IDictionary:
                return value.ToString() ?? string.Empty;
            case IEnumerable list:
                var shown = list.Cast<object?>().Take(EnumerationLimit + 1).ToList();
                var items = string.Join(", ", shown.Take(EnumerationLimit).Select(Text));
                return "{" + items + (shown.Count > EnumerationLimit ? "…" : string.Empty) + "}";
            default:
                return LanguagePrimitives.ConvertTo<string>(value) ?? string.Empty;
        }
    }
}
