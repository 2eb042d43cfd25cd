using System;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Numerics;
using System.Security;
using System.Text;
using System.Text.Json;

namespace ITwinAuth.Json;

/// <summary>
/// A -Body object (hashtable, PSCustomObject, array, or any object's properties) as JSON. Refuses
/// what must not or cannot go into a body: SecureStrings and credentials, script blocks, NaN, and
/// graphs deeper than <see cref="MaximumDepth"/> (cycles).
/// </summary>
internal static class PowerShellToJson
{
    public const int MaximumDepth = 64;

    public static string Serialize(object? value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            Write(writer, value, 0);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, object? value, int depth)
    {
        if (depth > MaximumDepth)
            throw Refuse($"it nests deeper than {MaximumDepth} levels (a cycle?)");
        if (value is PSObject wrapped && wrapped.BaseObject is not PSCustomObject) value = wrapped.BaseObject;

        switch (value)
        {
            case null:
            case DBNull:
                writer.WriteNullValue();
                return;
            case string s:
                writer.WriteStringValue(s);
                return;
            case char c:
                writer.WriteStringValue(c.ToString());
                return;
            case bool b:
                writer.WriteBooleanValue(b);
                return;
            case SecureString:
            case PSCredential:
                throw Refuse("it holds a SecureString or PSCredential, which ITwinAuth never writes into a request body");
            case ScriptBlock:
                throw Refuse("it holds a script block");
            case double d when double.IsNaN(d) || double.IsInfinity(d):
            case float f when float.IsNaN(f) || float.IsInfinity(f):
                throw Refuse("it holds NaN or Infinity, which JSON cannot express");
            case byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal or BigInteger:
                writer.WriteRawValue(System.Convert.ToString(value, CultureInfo.InvariantCulture)!, skipInputValidation: true);
                return;
            case Enum e:
                writer.WriteStringValue(e.ToString());
                return;
            case DateTime dt:
                writer.WriteStringValue(dt.ToString("o", CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset dto:
                writer.WriteStringValue(dto.ToString("o", CultureInfo.InvariantCulture));
                return;
            case Guid or Uri or TimeSpan or Version:
                writer.WriteStringValue(System.Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            case IDictionary dictionary:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.WritePropertyName(System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                    Write(writer, entry.Value, depth + 1);
                }
                writer.WriteEndObject();
                return;
            case PSObject custom:
                WriteProperties(writer, custom, depth, noteOnly: true);
                return;
            case IEnumerable sequence:
                writer.WriteStartArray();
                foreach (var item in sequence) Write(writer, item, depth + 1);
                writer.WriteEndArray();
                return;
            default:
                WriteProperties(writer, PSObject.AsPSObject(value), depth, noteOnly: false);
                return;
        }
    }

    private static void WriteProperties(Utf8JsonWriter writer, PSObject source, int depth, bool noteOnly)
    {
        writer.WriteStartObject();
        foreach (var property in source.Properties)
        {
            if (!property.IsGettable) continue;
            if (noteOnly && property.MemberType != PSMemberTypes.NoteProperty) continue;
            object? propertyValue;
            try { propertyValue = property.Value; }
            catch (GetValueException) { continue; }
            writer.WritePropertyName(property.Name);
            Write(writer, propertyValue, depth + 1);
        }
        writer.WriteEndObject();
    }

    private static ITwinAuthException Refuse(string why) =>
        new(ITwinErrorIds.BodySerializationFailed, ITwinErrorCategory.InvalidArgument,
            $"The -Body cannot be sent as JSON: {why}. Pass a hashtable, PSCustomObject, array or JSON string.", "Body");
}
