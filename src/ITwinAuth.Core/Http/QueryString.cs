using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace ITwinAuth.Core;

/// <summary>
/// -Query values as text, the same under every culture: numbers invariant, dates ISO 8601, booleans
/// lower case, a list as the key repeated. Anything else (a hashtable, a credential, a SecureString)
/// is refused rather than sent as its type name.
/// </summary>
public static class QueryString
{
    public static string Build(IEnumerable<KeyValuePair<string, object?>> query)
    {
        var text = new StringBuilder();
        foreach (var pair in query)
        {
            if (pair.Value is null) continue;
            if (pair.Value is IEnumerable list and not string)
            {
                foreach (var item in list)
                    if (item is not null) Append(text, pair.Key, Format(pair.Key, item, inList: true));
            }
            else
            {
                Append(text, pair.Key, Format(pair.Key, pair.Value, inList: false));
            }
        }
        return text.ToString();
    }

    private static void Append(StringBuilder text, string key, string value)
    {
        if (text.Length > 0) text.Append('&');
        text.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
    }

    /// <summary>A -Headers value as text, by the same rules as a query value (1.5 is "1.5" under every culture).</summary>
    public static string HeaderText(string name, object? value)
    {
        try
        {
            return value is null ? string.Empty : Format(name, value, inList: false);
        }
        catch (ITwinAuthException)
        {
            throw new ITwinAuthException(ITwinErrorIds.InvalidHeaderValue, ITwinErrorCategory.InvalidArgument,
                $"-Headers value of '{ServerText.Line(name, 100)}' is a {value!.GetType().Name}, not a string, number, boolean, date or GUID; nothing was sent.", "Headers");
        }
    }

    public static string Format(string key, object value, bool inList) => value switch
    {
        string s => s,
        char c => c.ToString(),
        bool b => b ? "true" : "false",
        DateTime d => d.ToString(d.Kind == DateTimeKind.Unspecified ? "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF" : "o", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.ToString("o", CultureInfo.InvariantCulture),
        Guid g => g.ToString("D"),
        Enum e => e.ToString(),
        Uri u => u.IsAbsoluteUri ? u.AbsoluteUri : u.OriginalString,
        double d when double.IsNaN(d) || double.IsInfinity(d) => throw Refused(key, value, "not a finite number"),
        float f when float.IsNaN(f) || float.IsInfinity(f) => throw Refused(key, value, "not a finite number"),
        sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal or BigInteger =>
            ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture),
        IEnumerable when inList => throw Refused(key, value, "a list inside a list"),
        _ => throw Refused(key, value, "not a string, number, boolean, date, GUID or list of those"),
    };

    private static ITwinAuthException Refused(string key, object value, string why) =>
        new(ITwinErrorIds.InvalidQuery, ITwinErrorCategory.InvalidArgument,
            $"-Query value of '{key}' is a {value.GetType().Name}, {why}; nothing was sent.", "Query");
}
