using System.Text;
using ITwinAuth.Core;

namespace ITwinAuth.Secrets;

/// <summary>
/// Text that came from a vault or from SecretManagement (a failure's reason, a type name, a vault
/// name from the registry) made fit for one of ITwinAuth's messages: no control characters, which
/// could rewrite the console (ESC sequences) or forge lines in a log, no bidirectional controls, which
/// could make it read otherwise, and no more than an excerpt.
/// Never used on a secret: no secret goes into a message at all.
/// </summary>
internal static class VaultText
{
    /// <summary>What <see cref="Excerpt"/> removes: every character <see cref="ServerText"/> keeps from a
    /// line (control characters, line separators, bidirectional controls), the tab excepted.</summary>
    public static bool IsControl(char c) => c != '\t' && ServerText.IsUnshowable(c);

    /// <summary>The text without control characters (a line break becomes a space) and cut to at
    /// most <paramref name="maximum"/> characters, saying how many more there were.</summary>
    public static string Excerpt(string? text, int maximum = 300)
    {
        var clean = new StringBuilder();
        foreach (var c in text ?? string.Empty)
        {
            if (!IsControl(c)) clean.Append(c);
            else if ((c == '\n' || c == '\r') && clean.Length > 0 && clean[clean.Length - 1] != ' ') clean.Append(' ');
        }
        var result = clean.ToString().Trim();
        if (result.Length <= maximum) return result;
        var cut = char.IsHighSurrogate(result[maximum - 1]) ? maximum - 1 : maximum;
        return result.Substring(0, cut) + $"... ({result.Length - cut} more characters)";
    }

    /// <summary>The zero-based position of the first control character (tab included), or -1.</summary>
    public static int FirstControl(string text)
    {
        for (var i = 0; i < text.Length; i++)
            if (char.IsControl(text[i])) return i;
        return -1;
    }
}
