using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using ITwinAuth.Core;

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
        using var writer = new JsonBodyWriter();
        Write(writer, value, 0);
        return writer.ToString();
    }

    private static void Write(JsonBodyWriter writer, object? value, int depth)
    {
        if (depth > MaximumDepth)
            throw Refuse($"it nests deeper than {MaximumDepth} levels (a cycle?)");
        value = PowerShellValues.Unwrap(value);

        switch (value)
        {
            case null:
            case DBNull:
                writer.Null();
                return;
            case string s:
                writer.String(s);
                return;
            case char c:
                writer.String(c.ToString());
                return;
            case bool b:
                writer.Boolean(b);
                return;
            case SecureString:
            case PSCredential:
                throw Refuse("it holds a SecureString or PSCredential, which ITwinAuth never writes into a request body");
            case ScriptBlock:
                throw Refuse("it holds a script block");
            case double d when double.IsNaN(d) || double.IsInfinity(d):
            case float f when float.IsNaN(f) || float.IsInfinity(f):
                throw Refuse("it holds NaN or Infinity, which JSON cannot express");
            case byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal or System.Numerics.BigInteger:
                writer.Number((IFormattable)value);
                return;
            case Enum e:
                writer.String(e.ToString());
                return;
            case DateTime dt:
                writer.String(dt.ToString("o", CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset dto:
                writer.String(dto.ToString("o", CultureInfo.InvariantCulture));
                return;
            case Guid or Uri or TimeSpan or Version:
                writer.String(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                return;
            case IDictionary dictionary:
                writer.StartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.PropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                    Write(writer, entry.Value, depth + 1);
                }
                writer.EndObject();
                return;
            case PSObject custom:
                WriteProperties(writer, custom, depth, noteOnly: true);
                return;
            case IEnumerable sequence:
                writer.StartArray();
                foreach (var item in sequence) Write(writer, item, depth + 1);
                writer.EndArray();
                return;
            default:
                WriteProperties(writer, PSObject.AsPSObject(value), depth, noteOnly: false);
                return;
        }
    }

    private static void WriteProperties(JsonBodyWriter writer, PSObject source, int depth, bool noteOnly)
    {
        writer.StartObject();
        foreach (var property in source.Properties)
        {
            if (!property.IsGettable) continue;
            if (noteOnly && property.MemberType != PSMemberTypes.NoteProperty) continue;
            object? propertyValue;
            try { propertyValue = property.Value; }
            catch (GetValueException) { continue; }
            writer.PropertyName(property.Name);
            Write(writer, propertyValue, depth + 1);
        }
        writer.EndObject();
    }

    private static ITwinAuthException Refuse(string why) =>
        new(ITwinErrorIds.BodySerializationFailed, ITwinErrorCategory.InvalidArgument,
            $"The -Body cannot be sent as JSON: {why}. Pass a hashtable, PSCustomObject, array or JSON string.", "Body");
}
