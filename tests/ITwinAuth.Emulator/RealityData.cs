using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ITwinAuth.Emulator;

/// <summary>
/// The Reality Data API's listing, GET /realitydata?iTwinId=: a collection paged by an opaque
/// continuation token inside _links.next (never $skip), as that API and iModels v2 do.
/// </summary>
public static class RealityData
{
    /// <summary>Reality data per iTwin: enough for a few pages at the default $top.</summary>
    public const int PerITwin = 250;
    private const int DefaultTop = 100;
    private const int MaxTop = 500;
    private static readonly byte[] TokenKey = RandomNumberGenerator.GetBytes(16);

    public static IResult Page(HttpContext http, EmulatorState state)
    {
        var query = http.Request.Query;
        var iTwinText = query["iTwinId"].ToString();
        if (iTwinText.Length == 0)
            return ITwinErrors.Result(422, "InvalidRealityDataRequest", "Required query parameter iTwinId is missing.", "iTwinId");
        if (!Guid.TryParse(iTwinText, out var iTwinId) || state.ITwins.IndexOf(iTwinId) < 0)
            return ITwinErrors.Result(404, "iTwinNotFound", "Requested iTwin is not available.", "iTwinId");
        var top = DefaultTop;
        if (query.TryGetValue("$top", out var topText) &&
            (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > MaxTop))
            return ITwinErrors.Result(422, "InvalidRealityDataRequest", $"$top must be between 1 and {MaxTop}.", "$top");
        var start = 0;
        // Query keys are matched without regard to case: continuationToken and ContinuationToken alike.
        if (query.TryGetValue("continuationToken", out var token) && !TryReadToken(token.ToString(), iTwinId, out start))
            return ITwinErrors.Result(422, "InvalidRealityDataRequest", "The continuation token is not valid.", "continuationToken");

        var items = new List<object>();
        var representation = http.Request.Headers["Prefer"].ToString().Contains("return=representation", StringComparison.OrdinalIgnoreCase);
        for (var i = start; i < PerITwin && items.Count < top; i++) items.Add(Item(iTwinId, i, representation));
        var self = new Uri(state.ApiUri, $"realitydata?iTwinId={iTwinId}&$top={top}").ToString();
        var links = new Dictionary<string, object?> { ["self"] = new { href = self } };
        if (start + top < PerITwin)
            links["next"] = new { href = $"{self}&continuationToken={Uri.EscapeDataString(MakeToken(iTwinId, start + top))}" };
        return Results.Json(new Dictionary<string, object?> { ["realityData"] = items, ["_links"] = links });
    }

    private static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>With Prefer: return=representation, the fields the Reality Management API documents.</summary>
    private static Dictionary<string, object?> Item(Guid iTwinId, int index, bool representation)
    {
        var item = new Dictionary<string, object?>
        {
            ["id"] = AppRegistry.DeterministicGuid($"realitydata-{iTwinId}-{index}"),
            ["displayName"] = $"Reality data {index + 1:D4}",
            ["classification"] = index % 2 == 0 ? "Model" : "Terrain",
            ["type"] = index % 3 == 0 ? "Cesium3DTiles" : "OPC",
            ["dataCenterLocation"] = "East US",
        };
        if (representation)
        {
            var type = (string)item["type"]!;
            item["description"] = $"Capture {index + 1} of the site";
            item["rootDocument"] = type == "OPC" ? "cloud.opc" : "tileset.json";
            item["size"] = 10_240 + 1_024 * index;
            item["authoring"] = false;
            item["ownerId"] = AppRegistry.DeterministicGuid("creator");
            item["tags"] = new[] { "emulated", type };
            item["dataset"] = "Site captures";
            item["group"] = "Survey";
            item["createdDateTime"] = IModels.Date(Epoch.AddHours(index));
            item["modifiedDateTime"] = IModels.Date(Epoch.AddHours(index + 2));
            item["lastAccessedDateTime"] = IModels.Date(Epoch.AddDays(30).AddHours(index));
        }
        return item;
    }

    /// <summary>Opaque to clients: the offset and iTwin, signed so a token cannot be forged or reused elsewhere.</summary>
    private static string MakeToken(Guid iTwinId, int offset)
    {
        var payload = Encoding.UTF8.GetBytes($"{iTwinId:N}:{offset}");
        var mac = HMACSHA256.HashData(TokenKey, payload).AsSpan(0, 12).ToArray();
        return Convert.ToBase64String(payload.Concat(mac).ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static bool TryReadToken(string token, Guid iTwinId, out int offset)
    {
        offset = 0;
        try
        {
            var text = token.Replace('-', '+').Replace('_', '/');
            var bytes = Convert.FromBase64String(text.PadRight(text.Length + (4 - text.Length % 4) % 4, '='));
            if (bytes.Length <= 12) return false;
            var payload = bytes.AsSpan(0, bytes.Length - 12);
            if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(TokenKey, payload).AsSpan(0, 12), bytes.AsSpan(bytes.Length - 12)))
                return false;
            var parts = Encoding.UTF8.GetString(payload).Split(':');
            return parts.Length == 2 && Guid.TryParseExact(parts[0], "N", out var id) && id == iTwinId &&
                   int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out offset) && offset < PerITwin;
        }
        catch (FormatException) { return false; }
    }
}
