using System;
using System.Text;
using System.Text.RegularExpressions;

namespace ITwinAuth.Core;

/// <summary>
/// Text from elsewhere (a server's error body, a header, a vault, .NET's own message about a socket
/// or a proxy) made safe before the user sees it: no control character reaches the terminal (C0 but
/// tab, DEL, C1, U+2028 and U+2029, so no escape sequence, bell, backspace or forged line), no credential in a URI
/// (user:password@) survives, and the text is cut to an excerpt. The one rule for every message,
/// error record, verbose line, warning and progress text the module writes.
/// </summary>
public static class ServerText
{
    /// <summary>The most of one server field quoted in a message.</summary>
    public const int FieldMaximum = 500;

    /// <summary>The most a whole error message may hold.</summary>
    public const int MessageMaximum = 2000;

    /// <summary>The most ErrorDetails may hold.</summary>
    public const int DetailsMaximum = 16 * 1024;

    private static readonly Regex UserInfo = new(@"(?<=[A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s@]*@", RegexOptions.CultureInvariant);

    /// <summary>One line: every control character, CR and LF included, becomes a space or '?'.</summary>
    public static string Line(string? text, int maximum = FieldMaximum) => Clean(text, maximum, keepNewLines: false);

    /// <summary>Several lines (ErrorDetails): LF kept, every other control character replaced.</summary>
    public static string Block(string? text, int maximum = DetailsMaximum) => Clean(text, maximum, keepNewLines: true);

    /// <summary>Whether the text already needs nothing done (the common case costs one scan).</summary>
    public static bool IsClean(string text)
    {
        foreach (var c in text)
            if (IsControl(c)) return false;
        return text.IndexOf('@') < 0 || !UserInfo.IsMatch(text);
    }

    private static string Clean(string? text, int maximum, bool keepNewLines)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        var source = text!;
        if (source.Length <= maximum && IsClean(source)) return source;
        if (source.IndexOf('@') >= 0) source = UserInfo.Replace(source, "***@");
        // A text that will be cut keeps room for the "... (N more characters)" mark: the whole stays within maximum.
        var room = source.Length <= maximum ? maximum : Math.Max(0, maximum - MarkLength(source.Length));
        var builder = new StringBuilder(Math.Min(source.Length, maximum) + 40);
        var used = 0;
        for (; used < source.Length && builder.Length < room; used++)
        {
            var c = source[used];
            if (!IsControl(c)) builder.Append(c);
            else if (c == '\n' && keepNewLines) builder.Append('\n');
            else if (c is '\n' or '\r' or '\t') { if (builder.Length == 0 || builder[builder.Length - 1] != ' ') builder.Append(' '); }
            else builder.Append('?');
        }
        return used < source.Length ? builder.Append($"... ({source.Length - used} more characters)").ToString() : builder.ToString();
    }

    /// <summary>The length of the cut mark for a text of <paramref name="length"/> characters, at its longest.</summary>
    private static int MarkLength(int length) => $"... ({length} more characters)".Length;

    /// <summary>C0 (tab included: a terminal may expand it oddly inside a one-line field), DEL, C1,
    /// the line and paragraph separators (U+2028, U+2029: a line break wherever Unicode's line breaking
    /// applies, as NEL is), and the bidirectional overrides that can make a line read differently than it is.</summary>
    /// <summary>A character no text from elsewhere may bring to a line: C0, DEL, C1, the Unicode line and
    /// paragraph separators, the bidirectional embeddings, overrides, isolates and marks, and the
    /// invisible ones (zero-width space, word joiner, BOM).</summary>
    public static bool IsUnshowable(char c) => IsControl(c);

    private static bool IsControl(char c) =>
        c < ' ' || c == '\x7f' || (c >= '\x80' && c <= '\x9f') || c is '\u2028' or '\u2029' ||
        (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069') ||
        // Invisible marks that change what a line seems to say: the directional marks (LRM, RLM, ALM), the
        // zero-width space and word joiner, the invisible operators and the BOM. The joiners (ZWJ, ZWNJ)
        // stay: emoji and several scripts need them.
        c is '\u200b' or '\u200e' or '\u200f' or '\u061c' or '\ufeff' || (c >= '\u2060' && c <= '\u2064');
}
