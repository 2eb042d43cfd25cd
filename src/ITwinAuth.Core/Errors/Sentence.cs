namespace ITwinAuth.Core;

/// <summary>Joins messages from elsewhere (a socket, a file system, a server) into the module's own sentences.</summary>
internal static class Sentence
{
    /// <summary>The text, made safe (<see cref="ServerText"/>), without its final full stop, to be continued.</summary>
    public static string Trim(string? text) => ServerText.Line(text).Trim().TrimEnd('.');

    /// <summary>The text, made safe, ending in a full stop, so a remedy can follow.</summary>
    public static string End(string? text)
    {
        var trimmed = ServerText.Line(text).Trim();
        return trimmed.Length == 0 || trimmed.EndsWith(".", System.StringComparison.Ordinal) ||
               trimmed.EndsWith("!", System.StringComparison.Ordinal) || trimmed.EndsWith("?", System.StringComparison.Ordinal)
            ? trimmed
            : trimmed + ".";
    }

    /// <summary>At most <paramref name="maximum"/> characters of a server's text, made safe and marked when cut.</summary>
    public static string Excerpt(string text, int maximum = ServerText.FieldMaximum) => ServerText.Line(text, maximum);
}
