using System;
using System.Collections.Generic;
using System.Linq;

namespace ITwinAuth.Api;

/// <summary>One of the platform's resources as ITwinAuth types it: the envelope keys it comes in
/// ({"iTwins": [...]} and {"iTwin": {...}}), the type name its items get, the paths that return it
/// (for -Path completion) and its date properties (shown as dates by its views).</summary>
public sealed class ApiResource
{
    internal ApiResource(string name, string collectionKey, string singleKey, string[] paths, string[] dateProperties)
    {
        Name = name;
        TypeName = ApiCatalogue.TypeNamePrefix + name;
        CollectionKey = collectionKey;
        SingleKey = singleKey;
        Paths = Array.AsReadOnly(paths);
        DateProperties = Array.AsReadOnly(dateProperties);
    }

    public string Name { get; }
    public string TypeName { get; }
    /// <summary>The array's name in a listing: iTwins.</summary>
    public string CollectionKey { get; }
    /// <summary>The object's name in a single resource: iTwin (realityData is both).</summary>
    public string SingleKey { get; }
    /// <summary>Paths that return it, {id} where an id goes.</summary>
    public IReadOnlyList<string> Paths { get; }
    /// <summary>ISO 8601 strings in the JSON, kept as strings; the views show them in the module's one date format.</summary>
    public IReadOnlyList<string> DateProperties { get; }
}

/// <summary>
/// The platform's resources, by envelope key. The one place that says which type name an item gets
/// (Invoke-ITwinRequest puts it in front of PSCustomObject's) and which paths -Path completes.
/// Sources: developer.bentley.com and Bentley's clients (itwins-client, imodels-clients, itwin-cli).
/// </summary>
public static class ApiCatalogue
{
    public const string TypeNamePrefix = "ITwinAuth.Api.";
    /// <summary>Items of an envelope whose key is not in the catalogue.</summary>
    public const string ItemTypeName = TypeNamePrefix + "Item";

    public static IReadOnlyList<ApiResource> Resources { get; } = Array.AsReadOnly(new[]
    {
        // iTwins API; favorites and recents are iTwins too.
        new ApiResource("ITwin", "iTwins", "iTwin",
            new[] { "/itwins", "/itwins/{id}", "/itwins/favorites", "/itwins/recents" },
            new[] { "createdDateTime", "lastModifiedDateTime" }),
        new ApiResource("Repository", "repositories", "repository",
            new[] { "/itwins/{id}/repositories", "/itwins/{id}/repositories/{id}" },
            Array.Empty<string>()),
        new ApiResource("Export", "exports", "export",
            new[] { "/itwins/exports", "/itwins/exports/{id}" },
            new[] { "createdDateTime", "startedDateTime", "completedDateTime" }),
        // iModels API (v2).
        new ApiResource("IModel", "iModels", "iModel",
            new[] { "/imodels", "/imodels/{id}" },
            new[] { "createdDateTime", "lastChangesetPushDateTime" }),
        new ApiResource("Changeset", "changesets", "changeset",
            new[] { "/imodels/{id}/changesets", "/imodels/{id}/changesets/{id}" },
            new[] { "pushDateTime" }),
        new ApiResource("NamedVersion", "namedVersions", "namedVersion",
            new[] { "/imodels/{id}/namedversions", "/imodels/{id}/namedversions/{id}" },
            new[] { "createdDateTime" }),
        // Access Control (v2).
        new ApiResource("Member", "members", "member",
            new[] { "/accesscontrol/itwins/{id}/members/users", "/accesscontrol/itwins/{id}/members/users/{id}",
                "/accesscontrol/itwins/{id}/members/groups", "/accesscontrol/itwins/{id}/members/owners" },
            Array.Empty<string>()),
        new ApiResource("Role", "roles", "role",
            new[] { "/accesscontrol/itwins/{id}/roles", "/accesscontrol/itwins/{id}/roles/{id}" },
            Array.Empty<string>()),
        new ApiResource("Group", "groups", "group",
            new[] { "/accesscontrol/itwins/{id}/groups", "/accesscontrol/itwins/{id}/groups/{id}" },
            Array.Empty<string>()),
        new ApiResource("Invitation", "invitations", "invitation",
            new[] { "/accesscontrol/itwins/{id}/members/invitations" },
            new[] { "createdDate", "expirationDate" }),
        // Users.
        new ApiResource("User", "users", "user",
            new[] { "/users/me", "/users", "/users/{id}" },
            new[] { "createdDateTime" }),
        // Synchronization: storage connections and their runs.
        new ApiResource("SynchronizationConnection", "connections", "connection",
            new[] { "/synchronization/imodels/storageconnections", "/synchronization/imodels/storageconnections/{id}" },
            Array.Empty<string>()),
        new ApiResource("SynchronizationRun", "runs", "run",
            new[] { "/synchronization/imodels/storageconnections/{id}/runs", "/synchronization/imodels/storageconnections/{id}/runs/{id}" },
            new[] { "startDateTime", "endDateTime" }),
        // Reality Management (and the older Reality Data API's path).
        new ApiResource("RealityData", "realityData", "realityData",
            new[] { "/reality-management/reality-data", "/reality-management/reality-data/{id}", "/realitydata" },
            new[] { "createdDateTime", "modifiedDateTime", "lastAccessedDateTime" }),
        // Saved Views.
        new ApiResource("SavedView", "savedViews", "savedView",
            new[] { "/savedviews", "/savedviews/{id}" },
            new[] { "creationTime", "lastModified" }),
    });

    private static readonly Dictionary<string, string> TypeNames = ByKey();

    private static Dictionary<string, string> ByKey()
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var resource in Resources)
        {
            map[resource.CollectionKey] = resource.TypeName;
            map[resource.SingleKey] = resource.TypeName;
        }
        return map;
    }

    /// <summary>The type name for an envelope's key: the resource's, or <see cref="ItemTypeName"/>.</summary>
    public static string TypeNameOf(string envelopeKey) =>
        TypeNames.TryGetValue(envelopeKey, out var typeName) ? typeName : ItemTypeName;

    /// <summary>Every resource's paths, in catalogue order, each once.</summary>
    public static IReadOnlyList<string> Paths { get; } =
        Array.AsReadOnly(Resources.SelectMany(r => r.Paths).Distinct(StringComparer.OrdinalIgnoreCase).ToArray());
}
