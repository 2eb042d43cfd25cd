using System;
using System.Collections.Generic;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>
/// One page of an iTwin collection: the array beside "_links" (whatever its name: iTwins, users,
/// iModels...) and the next link, which must stay on the API's origin.
/// </summary>
public sealed class Page : IDisposable
{
    private readonly JsonDocument _document;

    private Page(JsonDocument document, string? collectionName, JsonElement items, Uri? next)
    {
        _document = document;
        CollectionName = collectionName;
        Items = items;
        Next = next;
    }

    public string? CollectionName { get; }

    private JsonElement Items { get; }
    public bool IsCollection => CollectionName is not null;
    public Uri? Next { get; }

    /// <summary>How many items the page's collection holds.</summary>
    public int ItemCount => IsCollection ? Items.GetArrayLength() : 0;

    /// <summary>The whole body, made with <paramref name="factory"/>.</summary>
    public object? ConvertBody(JsonValueFactory factory) => JsonValues.Convert(_document.RootElement, factory);

    /// <summary>The collection's items after the first <paramref name="skip"/>, in order, each made
    /// with <paramref name="factory"/> when it is reached (skipped ones are never converted).</summary>
    public IEnumerable<object?> ConvertItems(JsonValueFactory factory, int skip = 0)
    {
        if (!IsCollection) yield break;
        foreach (var item in Items.EnumerateArray())
            if (skip > 0) skip--; else yield return JsonValues.Convert(item, factory);
    }

    /// <summary>The same, as each item's JSON text (for -Raw).</summary>
    public IEnumerable<string> RawItems(int skip = 0)
    {
        if (!IsCollection) yield break;
        foreach (var item in Items.EnumerateArray())
            if (skip > 0) skip--; else yield return item.GetRawText();
    }

    public void Dispose() => _document.Dispose();

    public static Page Read(HttpResult result, Uri apiBaseUri)
    {
        var document = JsonRead.TryParse(result.Body) ?? throw ApiErrors.NotJson(result);
        var root = document.RootElement;
        string? name = null;
        JsonElement items = root;
        if (root.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in root.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Array && property.Name != "_links")
                {
                    name = property.Name;
                    items = property.Value;
                    break;
                }
            }
        }

        Uri? next = null;
        var href = root.Property("_links")?.Property("next")?.String("href");
        if (!string.IsNullOrWhiteSpace(href))
        {
            if (!Uri.TryCreate(result.Uri, href, out next))
            {
                document.Dispose();
                throw new ITwinAuthException(ITwinErrorIds.ResponseNotJson, ITwinErrorCategory.InvalidResult,
                    $"{result.Target} gave a next link that is not a URI.", result.Target);
            }
            if (!EndpointPolicy.SameOrigin(next, apiBaseUri))
            {
                document.Dispose();
                throw new ITwinAuthException(ITwinErrorIds.ForeignHostRefused, ITwinErrorCategory.SecurityError,
                    $"{result.Target} gave a next link on another host ({next.GetLeftPart(UriPartial.Authority)}); " +
                    "ITwinAuth does not send the token there, so paging stopped.", next.GetLeftPart(UriPartial.Path));
            }
        }
        return new Page(document, name, items, next);
    }
}
