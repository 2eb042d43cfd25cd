using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>
/// The platform's response envelope, read in one place: a listing is {"iTwins": [...], "_links":
/// {"next": {"href": ...}}} (the collection's name differs per API), a single resource is
/// {"iTwin": {...}}.
/// </summary>
public static class Envelope
{
    public const string LinksProperty = "_links";

    /// <summary>The first array beside _links: a listing's items and the collection's name.</summary>
    public static bool TryGetCollection(JsonElement root, out string name, out JsonElement items)
    {
        if (root.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in root.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Array && property.Name != LinksProperty)
                {
                    name = property.Name;
                    items = property.Value;
                    return true;
                }
            }
        }
        name = string.Empty;
        items = default;
        return false;
    }

    /// <summary>The one value an envelope wraps ({"user": {...}}), or null when the body has more than
    /// one property besides _links, or is not an object.</summary>
    public static JsonElement? Wrapped(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        JsonElement? only = null;
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == LinksProperty) continue;
            if (only is not null) return null;
            only = property.Value;
        }
        return only;
    }

    /// <summary>_links.next.href, when the body has one that is not blank.</summary>
    public static string? NextHref(JsonElement root) =>
        root.Property(LinksProperty)?.Property("next")?.String("href") is { } href && !string.IsNullOrWhiteSpace(href) ? href : null;
}
