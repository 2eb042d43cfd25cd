using System;
using System.Globalization;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>Small, forgiving readers over System.Text.Json elements: a missing or mistyped field is
/// null, never an exception.</summary>
internal static class JsonRead
{
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public const int MaximumDepth = 256;

    /// <summary>The body as a JSON document, or null when it is not JSON or holds more values than any
    /// response may become (<see cref="ConversionBudget"/>).</summary>
    public static JsonDocument? TryParse(byte[] body) => TryParse(body, ConversionBudget.MaximumValues, out _);

    /// <summary>The body as a JSON document, or null: when it is not JSON (which must be valid UTF-8, RFC 8259:
    /// the parser would accept bad bytes inside strings and fail only when one is read; and whose strings
    /// hold no escaped lone surrogate, "\ud800", which RFC 8259 leaves unpredictable, I-JSON forbids, and
    /// .NET cannot make a string of), or when it holds more than <paramref name="maximumValues"/> values
    /// (<paramref name="tooComplex"/>), which is never parsed.</summary>
    public static JsonDocument? TryParse(byte[] body, int maximumValues, out bool tooComplex)
    {
        tooComplex = false;
        // A UTF-8 byte order mark before the JSON is allowed (RFC 8259 lets a parser ignore it, and
        // Invoke-RestMethod does): it is skipped, not copied away.
        var start = body.Length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF ? 3 : 0;
        if (body.Length == start) return null;
        try
        {
            StrictUtf8.GetCharCount(body, start, body.Length - start);
            if (ConversionBudget.CountValues(body.AsSpan(start), maximumValues) > maximumValues)
            {
                tooComplex = true;
                return null;
            }
            var document = JsonDocument.Parse(body.AsMemory(start), new JsonDocumentOptions { MaxDepth = MaximumDepth });
            if (!HasLoneSurrogate(body, start)) return document;
            document.Dispose();
            return null;
        }
        catch (Exception ex) when (ex is JsonException or System.Text.DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Whether a string or property name of <paramref name="body"/> (already parsed) escapes a
    /// surrogate that has no partner. Only a body with an escaped surrogate ("\uD800" to "\uDFFF") is read
    /// again, string by string.</summary>
    private static bool HasLoneSurrogate(byte[] body, int start)
    {
        if (!HasSurrogateEscape(body)) return false;
        var reader = new Utf8JsonReader(body.AsSpan(start), new JsonReaderOptions { MaxDepth = MaximumDepth });
        try
        {
            while (reader.Read())
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                    reader.GetString();
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static bool HasSurrogateEscape(byte[] body)
    {
        for (var i = Array.IndexOf(body, (byte)'\\'); i >= 0 && i + 3 < body.Length; i = Array.IndexOf(body, (byte)'\\', i + 1))
            if (body[i + 1] == (byte)'u' && (body[i + 2] | 0x20) == 'd' && body[i + 3] is (>= (byte)'8' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F'))
                return true;
        return false;
    }

    public static JsonElement? Property(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;

    public static string? String(this JsonElement element, string name) =>
        element.Property(name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static long? Integer(this JsonElement element, string name)
    {
        switch (element.Property(name))
        {
            case { ValueKind: JsonValueKind.Number } number:
                if (number.TryGetInt64(out var whole)) return whole;
                return number.TryGetDouble(out var real) && real is >= long.MinValue and <= long.MaxValue ? (long)real : null;
            case { ValueKind: JsonValueKind.String } text:
                return long.TryParse(text.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            default:
                return null;
        }
    }

    public static DateTimeOffset? Date(this JsonElement element, string name) =>
        element.String(name) is { } text &&
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            ? date
            : null;

    public static Guid Guid(this JsonElement element, string name) =>
        element.String(name) is { } text && System.Guid.TryParse(text, out var id) ? id : System.Guid.Empty;
}
