using System;
using System.Collections.Generic;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>
/// One page of an iTwin collection: the array beside "_links" (whatever its name: iTwins, users,
/// iModels...) and the next link, which the call's <see cref="CredentialBoundary"/> must admit.
/// </summary>
public sealed class Page : IDisposable
{
    private readonly JsonDocument _document;
    private readonly JsonElement _items;

    private readonly string _target;
    private readonly int _maximumValues;

    private Page(JsonDocument document, string? collectionName, JsonElement items, Uri? next, string target, int maximumValues)
    {
        _target = target;
        _maximumValues = maximumValues;
        _document = document;
        CollectionName = collectionName;
        _items = items;
        Next = next;
    }

    public string? CollectionName { get; }
    public bool IsCollection => CollectionName is not null;
    public Uri? Next { get; }

    /// <summary>How many items the page's collection holds.</summary>
    public int ItemCount => IsCollection ? _items.GetArrayLength() : 0;

    /// <summary>The whole body, made with <paramref name="factory"/>.</summary>
    public object? ConvertBody(JsonValueFactory factory) => JsonValues.Convert(_document.RootElement, factory, new ConversionBudget(_target, _maximumValues));

    /// <summary>The collection's items after the first <paramref name="skip"/>, in order, each made
    /// with <paramref name="factory"/> when it is reached (skipped ones are never converted).</summary>
    public IEnumerable<object?> ConvertItems(JsonValueFactory factory, int skip = 0)
    {
        if (!IsCollection) yield break;
        var budget = new ConversionBudget(_target, _maximumValues);
        foreach (var item in _items.EnumerateArray())
            if (skip > 0) skip--; else yield return JsonValues.Convert(item, factory, budget);
    }

    /// <summary>The same, as each item's JSON text (for -Raw).</summary>
    public IEnumerable<string> RawItems(int skip = 0)
    {
        if (!IsCollection) yield break;
        var budget = new ConversionBudget(_target, _maximumValues);
        foreach (var item in _items.EnumerateArray())
        {
            if (skip > 0) { skip--; continue; }
            budget.Spend();
            yield return item.GetRawText();
        }
    }

    public void Dispose() => _document.Dispose();

    /// <param name="maximumValues">What the page may become (<see cref="HttpCall.MaximumValues"/>).</param>
    public static Page Read(HttpResult result, CredentialBoundary boundary, int maximumValues = ConversionBudget.MaximumValues)
    {
        var document = JsonRead.TryParse(result.Body, maximumValues, out var tooComplex);
        if (tooComplex) throw ConversionBudget.TooComplex(result.Target, maximumValues);
        if (document is null) throw ApiErrors.NotJson(result);
        try
        {
            var root = document.RootElement;
            var isCollection = Envelope.TryGetCollection(root, out var name, out var items);
            var next = Envelope.NextHref(root) is { } href ? boundary.RequireNextLink(result, href) : null;
            return new Page(document, isCollection ? name : null, isCollection ? items : root, next, result.Target, maximumValues);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }
}
