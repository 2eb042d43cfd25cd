using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ITwinAuth.Emulator;

/// <summary>
/// The iModels API (v2) beyond the listing: one iModel, its changesets and its named versions, in the
/// fields Bentley documents (minimal by default, all of them with Prefer: return=representation; one
/// resource is always whole). Every value is a pure function of the iModel's id: nothing is stored.
/// </summary>
public static class IModels
{
    public const int ChangesetsPerIModel = 12;
    /// <summary>Named versions sit on every fourth changeset.</summary>
    public const int NamedVersionEvery = 4;
    private const int DefaultTop = 100;
    private const int MaxTop = 1000;
    private static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ConcurrentDictionary<Guid, (Guid ITwinId, int Number)> Found = new();

    /// <summary>A date as the platform writes it: UTC, seven decimals, Z.</summary>
    public static string Date(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static Guid IdOf(Guid iTwinId, int number) => AppRegistry.DeterministicGuid($"imodel-{iTwinId}-{number}");

    public static void Map(IEndpointRouteBuilder api, EmulatorState state)
    {
        api.MapGet("/imodels/{id}", (string id) =>
            Find(state, id) is { } found
                ? Results.Json(new { iModel = ITwinStore.IModelsOf(found.ITwinId, representation: true, new ApiLinks(state)).ElementAt(found.Number - 1) })
                : NotFound())
            .RequireAuthorization(PlatformApi.IModelsRead);

        api.MapGet("/imodels/{id}/changesets", (HttpContext http, string id) =>
        {
            if (Find(state, id) is not { } found) return NotFound();
            var iModelId = IdOf(found.ITwinId, found.Number);
            return Listing(http, state, $"imodels/{iModelId}/changesets", "changesets", ChangesetsPerIModel,
                index => Changeset(new ApiLinks(state), iModelId, index + 1, Representation(http)));
        }).RequireAuthorization(PlatformApi.IModelsRead);

        api.MapGet("/imodels/{id}/changesets/{changeset}", (string id, string changeset) =>
        {
            if (Find(state, id) is not { } found) return NotFound();
            var iModelId = IdOf(found.ITwinId, found.Number);
            for (var index = 1; index <= ChangesetsPerIModel; index++)
            {
                if (changeset == index.ToString(CultureInfo.InvariantCulture) || string.Equals(changeset, ChangesetId(iModelId, index), StringComparison.OrdinalIgnoreCase))
                    return Results.Json(new { changeset = Changeset(new ApiLinks(state), iModelId, index, representation: true) });
            }
            return ITwinErrors.Result(404, "ChangesetNotFound", "Requested Changeset is not available.", "changesetId");
        }).RequireAuthorization(PlatformApi.IModelsRead);

        api.MapGet("/imodels/{id}/namedversions", (HttpContext http, string id) =>
        {
            if (Find(state, id) is not { } found) return NotFound();
            var iModelId = IdOf(found.ITwinId, found.Number);
            return Listing(http, state, $"imodels/{iModelId}/namedversions", "namedVersions", ChangesetsPerIModel / NamedVersionEvery,
                index => NamedVersion(new ApiLinks(state), iModelId, index + 1, Representation(http)));
        }).RequireAuthorization(PlatformApi.IModelsRead);

        api.MapGet("/imodels/{id}/namedversions/{namedVersionId}", (string id, string namedVersionId) =>
        {
            if (Find(state, id) is not { } found) return NotFound();
            var iModelId = IdOf(found.ITwinId, found.Number);
            for (var number = 1; number <= ChangesetsPerIModel / NamedVersionEvery; number++)
            {
                if (Guid.TryParse(namedVersionId, out var wanted) && wanted == NamedVersionId(iModelId, number))
                    return Results.Json(new { namedVersion = NamedVersion(new ApiLinks(state), iModelId, number, representation: true) });
            }
            return ITwinErrors.Result(404, "NamedVersionNotFound", "Requested Named Version is not available.", "namedVersionId");
        }).RequireAuthorization(PlatformApi.IModelsRead);
    }

    /// <summary>What a representation adds to an iModel of <see cref="ITwinStore.IModelsOf"/>.</summary>
    public static void AddRepresentation(Dictionary<string, object?> iModel, ApiLinks links)
    {
        var id = (Guid)iModel["id"]!;
        iModel["containersEnabled"] = 0;
        iModel["lastChangesetPushDateTime"] = Date(PushDate(ChangesetsPerIModel));
        iModel["_links"] = new Dictionary<string, object?>
        {
            ["creator"] = links.Href($"imodels/{id}/users/{Creator}"),
            ["changesets"] = links.Href($"imodels/{id}/changesets"),
            ["namedVersions"] = links.Href($"imodels/{id}/namedversions"),
        };
    }

    private static readonly Guid Creator = AppRegistry.DeterministicGuid("creator");

    private static IResult NotFound() => ITwinErrors.Result(404, "iModelNotFound", "Requested iModel is not available.", "id");

    private static bool Representation(HttpContext http) =>
        http.Request.Headers["Prefer"].ToString().Contains("return=representation", StringComparison.OrdinalIgnoreCase);

    /// <summary>The iModel with this id, found among the iTwins' (a scan, remembered).</summary>
    private static (Guid ITwinId, int Number)? Find(EmulatorState state, string text)
    {
        if (!Guid.TryParse(text, out var id)) return null;
        if (Found.TryGetValue(id, out var known)) return known;
        for (var index = 0; index < state.ITwins.Count; index++)
        {
            var iTwinId = state.ITwins.IdAt(index);
            for (var number = 1; number <= 2; number++)
            {
                if (IdOf(iTwinId, number) == id) return Found[id] = (iTwinId, number);
            }
        }
        return null;
    }

    /// <summary>A page by $top and $skip, with _links.next while items are left.</summary>
    private static IResult Listing(HttpContext http, EmulatorState state, string path, string key, int count, Func<int, object> item)
    {
        var query = http.Request.Query;
        var top = DefaultTop;
        var skip = 0;
        if (query.TryGetValue("$top", out var topText) && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > MaxTop))
            return ITwinErrors.Result(422, "InvalidiModelsRequest", $"$top must be between 1 and {MaxTop}.", "$top");
        if (query.TryGetValue("$skip", out var skipText) && !int.TryParse(skipText, NumberStyles.None, CultureInfo.InvariantCulture, out skip))
            return ITwinErrors.Result(422, "InvalidiModelsRequest", "$skip must be zero or more.", "$skip");
        var items = new List<object>();
        for (var i = skip; i < count && items.Count < top; i++) items.Add(item(i));
        var links = new ApiLinks(state);
        var body = new Dictionary<string, object?>
        {
            [key] = items,
            ["_links"] = new Dictionary<string, object?>
            {
                ["self"] = links.Href($"{path}?$top={top}&$skip={skip}"),
                ["prev"] = skip > 0 ? links.Href($"{path}?$top={top}&$skip={Math.Max(0, skip - top)}") : null,
                ["next"] = skip + top < count ? links.Href($"{path}?$top={top}&$skip={skip + top}") : null,
            },
        };
        return Results.Json(body);
    }

    private static DateTimeOffset PushDate(int index) => Epoch.AddDays(index).AddMinutes(17 * index).AddTicks(1_234_567);

    private static string ChangesetId(Guid iModelId, int index) =>
        Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes($"changeset-{iModelId}-{index}"))).ToLowerInvariant();

    private static Dictionary<string, object?> Changeset(ApiLinks links, Guid iModelId, int index, bool representation)
    {
        var changesetLinks = new Dictionary<string, object?>
        {
            ["self"] = links.Href($"imodels/{iModelId}/changesets/{index}"),
            ["creator"] = links.Href($"imodels/{iModelId}/users/{Creator}"),
        };
        var item = new Dictionary<string, object?>
        {
            ["id"] = ChangesetId(iModelId, index),
            ["displayName"] = index.ToString(CultureInfo.InvariantCulture),
            ["description"] = index == 1 ? "Initial import" : $"Synchronized design files, pass {index}",
            ["index"] = index,
            ["parentId"] = index == 1 ? "" : ChangesetId(iModelId, index - 1),
            ["creatorId"] = Creator,
            ["pushDateTime"] = Date(PushDate(index)),
            ["state"] = "fileUploaded",
            ["containingChanges"] = index == 1 ? 1 : 4,
            ["fileSize"] = 40_960 * index + 517,
            ["briefcaseId"] = 2,
            ["groupId"] = null,
            ["_links"] = changesetLinks,
        };
        if (representation)
        {
            item["application"] = new { id = "imodel-bridge-administrator", name = "iTwin Synchronizer" };
            item["synchronizationInfo"] = new { taskId = AppRegistry.DeterministicGuid($"task-{iModelId}-{index}"), changedFiles = new[] { "Building.dgn" } };
            changesetLinks["namedVersion"] = index % NamedVersionEvery == 0 ? links.Href($"imodels/{iModelId}/namedversions/{NamedVersionId(iModelId, index / NamedVersionEvery)}") : null;
            changesetLinks["currentOrPrecedingCheckpoint"] = links.Href($"imodels/{iModelId}/changesets/{index}/checkpoint");
        }
        return item;
    }

    private static Guid NamedVersionId(Guid iModelId, int number) => AppRegistry.DeterministicGuid($"namedversion-{iModelId}-{number}");

    private static Dictionary<string, object?> NamedVersion(ApiLinks links, Guid iModelId, int number, bool representation)
    {
        var index = number * NamedVersionEvery;
        var item = new Dictionary<string, object?>
        {
            ["id"] = NamedVersionId(iModelId, number),
            ["displayName"] = $"Milestone {number}",
            ["changesetId"] = ChangesetId(iModelId, index),
            ["changesetIndex"] = index,
        };
        if (representation)
        {
            item["name"] = $"Milestone {number}";
            item["description"] = $"Design review {number}";
            item["createdDateTime"] = Date(PushDate(index).AddHours(1));
            item["state"] = "visible";
            item["application"] = new { id = "imodel-hub-web", name = "iTwin Experience" };
            item["_links"] = new
            {
                creator = links.Href($"imodels/{iModelId}/users/{Creator}"),
                changeset = links.Href($"imodels/{iModelId}/changesets/{ChangesetId(iModelId, index)}"),
            };
        }
        return item;
    }
}

/// <summary>Absolute links on the emulated API host, as {"href": ...}.</summary>
public sealed class ApiLinks(EmulatorState state)
{
    public object Href(string relative) => new { href = new Uri(state.ApiUri, relative).ToString() };
}
