namespace ITwinAuth.Emulator;

/// <summary>Seeded iTwins: ids and fields are a pure function of the index, so 100,000 cost no memory.</summary>
public sealed class ITwinStore
{
    private static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public ITwinStore(int count) => Count = count;

    public int Count { get; }

    public static Guid IdOf(int index) => AppRegistry.DeterministicGuid("itwin-" + index);

    public int IndexOf(Guid id)
    {
        // Only used for favorites, on small sets: a linear scan is fine for the emulator.
        for (var i = 0; i < Count; i++) if (IdOf(i) == id) return i;
        return -1;
    }

    public Dictionary<string, object?> Item(int index, bool representation)
    {
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
        }
        return item;
    }
}
