using System.Collections.Concurrent;

namespace ITwinAuth.Emulator;

/// <summary>Seeded iTwins: ids and fields are a pure function of the index, so 100,000 cost no memory.
/// iTwins created with POST /itwins are kept in memory after them, in creation order.</summary>
public sealed class ITwinStore
{
    private static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly int _seeded;
    private readonly List<Dictionary<string, object?>> _created = new();
    private readonly ConcurrentDictionary<Guid, int> _createdIndex = new();

    public ITwinStore(int count) => _seeded = count;

    public int Count
    {
        get { lock (_created) return _seeded + _created.Count; }
    }

    public static Guid IdOf(int index) => AppRegistry.DeterministicGuid("itwin-" + index);

    /// <summary>The id of the iTwin at an index, seeded or created.</summary>
    public Guid IdAt(int index)
    {
        if (index < _seeded) return IdOf(index);
        lock (_created) return (Guid)_created[index - _seeded]["id"]!;
    }

    public int IndexOf(Guid id)
    {
        if (_createdIndex.TryGetValue(id, out var created)) return created;
        // Only used for favorites and iModels, on small sets: a linear scan is fine for the emulator.
        for (var i = 0; i < _seeded; i++) if (IdOf(i) == id) return i;
        return -1;
    }

    /// <summary>POST /itwins: the caller's fields, with the ones the platform fills in.</summary>
    public Dictionary<string, object?> Create(IDictionary<string, object?> fields, Guid createdBy)
    {
        var now = DateTimeOffset.UtcNow;
        var item = new Dictionary<string, object?>(fields, StringComparer.Ordinal)
        {
            ["id"] = Guid.NewGuid(),
            ["iTwinAccountId"] = AppRegistry.DeterministicGuid("account"),
            ["parentId"] = AppRegistry.DeterministicGuid("account"),
            ["status"] = fields.TryGetValue("status", out var status) && status is not null ? status : "Active",
            ["createdDateTime"] = now,
            ["createdBy"] = createdBy,
            ["lastModifiedDateTime"] = now,
            ["lastModifiedBy"] = createdBy,
        };
        lock (_created)
        {
            _created.Add(item);
            _createdIndex[(Guid)item["id"]!] = _seeded + _created.Count - 1;
        }
        return item;
    }

    public Dictionary<string, object?> Item(int index, bool representation)
    {
        if (index >= _seeded)
        {
            Dictionary<string, object?> created;
            lock (_created) created = _created[index - _seeded];
            if (representation) return created;
            var minimal = new[] { "id", "class", "subClass", "type", "displayName", "number", "iTwinAccountId" };
            return minimal.ToDictionary(k => k, k => created.GetValueOrDefault(k));
        }
        var item = new Dictionary<string, object?>
        {
            ["id"] = IdOf(index),
            ["class"] = "Endeavor",
            ["subClass"] = "Project",
            ["type"] = index % 3 == 0 ? "Construction" : "Design",
            ["displayName"] = $"iTwin {index + 1:D6}",
            ["number"] = $"ITW-{index + 1:D6}",
            ["iTwinAccountId"] = AppRegistry.DeterministicGuid("account"),
        };
        if (representation)
        {
            item["dataCenterLocation"] = "East US";
            item["status"] = "Active";
            item["parentId"] = AppRegistry.DeterministicGuid("account");
            item["ianaTimeZone"] = "America/New_York";
            item["createdDateTime"] = Epoch.AddMinutes(index);
            item["createdBy"] = AppRegistry.DeterministicGuid("creator");
            item["geographicLocation"] = "Exton, PA";
            item["latitude"] = 40.0288;
            item["longitude"] = -75.6208;
            item["lastModifiedDateTime"] = Epoch.AddMinutes(index + 1);
            item["lastModifiedBy"] = AppRegistry.DeterministicGuid("creator");
            item["imageName"] = null;
            item["image"] = null;
        }
        return item;
    }

    /// <summary>Two iModels per iTwin, a pure function of the iTwin's id, in the iModels API v2 shape
    /// (with <paramref name="links"/>, the representation has the fields IModels adds too).</summary>
    public static IEnumerable<Dictionary<string, object?>> IModelsOf(Guid iTwinId, bool representation, ApiLinks? links = null)
    {
        for (var i = 1; i <= 2; i++)
        {
            var item = new Dictionary<string, object?>
            {
                ["id"] = AppRegistry.DeterministicGuid($"imodel-{iTwinId}-{i}"),
                ["displayName"] = $"iModel {i}",
            };
            if (representation)
            {
                item["name"] = $"iModel {i}";
                item["description"] = $"Emulated iModel {i} of iTwin {iTwinId}";
                item["state"] = "initialized";
                item["createdDateTime"] = Epoch;
                item["iTwinId"] = iTwinId;
                item["isSecured"] = false;
                item["extent"] = null;
                item["dataCenterLocation"] = "East US";
                if (links is not null) IModels.AddRepresentation(item, links);
            }
            yield return item;
        }
    }
}
