using System;
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

    /// <summary>The collection's array, or the whole body when it is not a collection.</summary>
    public JsonElement Items { get; }
    public bool IsCollection => CollectionName is not null;
    public Uri? Next { get; }
    public JsonElement Root => _document.RootElement;

    public void Dispose() => _document.Dispose();

    /// <summary>A JSON body that is not paged (no next link is looked for).</summary>
    public static Page ReadBody(HttpResult result)
    {
        var document = JsonRead.TryParse(result.Body) ?? throw ApiErrors.NotJson(result);
        return new Page(document, null, document.RootElement, null);
    }

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
