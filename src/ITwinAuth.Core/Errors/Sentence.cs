namespace ITwinAuth.Core;

/// <summary>Joins messages from elsewhere (a socket, a file system) into the module's own sentences.</summary>
internal static class Sentence
{
    /// <summary>The text without its final full stop, to be continued.</summary>
    public static string Trim(string? text) => (text ?? string.Empty).Trim().TrimEnd('.');

    /// <summary>The text ending in a full stop, so a remedy can follow.</summary>
    public static string End(string? text)
    {
        var trimmed = (text ?? string.Empty).Trim();
        return trimmed.Length == 0 || trimmed.EndsWith(".", System.StringComparison.Ordinal) ||
               trimmed.EndsWith("!", System.StringComparison.Ordinal) || trimmed.EndsWith("?", System.StringComparison.Ordinal)
            ? trimmed
            : trimmed + ".";
    }

    /// <summary>At most <paramref name="maximum"/> characters of a server's text, marked when cut.</summary>
    public static string Excerpt(string text, int maximum = 500) =>
        text.Length <= maximum ? text : text.Substring(0, maximum) + $"... ({text.Length - maximum} more characters)";
}
