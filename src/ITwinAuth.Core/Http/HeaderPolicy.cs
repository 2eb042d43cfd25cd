using System;
using System.Collections.Generic;

namespace ITwinAuth.Core;

/// <summary>
/// What a caller may add through -Headers. A value with CR, LF or NUL could inject headers or a
/// whole request; the headers that frame the request or carry the token are the module's alone.
/// </summary>
public static class HeaderPolicy
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "Proxy-Authorization", "Content-Length", "Transfer-Encoding",
        "Connection", "Upgrade", "TE", "Trailer", "Keep-Alive", "Expect",
    };

    /// <summary>Checks every header before anything is sent; returns them as they will be sent.</summary>
    public static IDictionary<string, string> Check(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var checkedHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in headers)
        {
            var name = header.Key;
            if (name.Length == 0 || !IsToken(name))
                throw new ITwinAuthException(ITwinErrorIds.InvalidHeaderValue, ITwinErrorCategory.InvalidArgument,
                    $"-Headers has a header name that is not a valid HTTP field name ('{Printable(name)}').", "Headers");
            if (Reserved.Contains(name))
                throw new ITwinAuthException(ITwinErrorIds.HeaderNotAllowed, ITwinErrorCategory.InvalidArgument,
                    $"-Headers may not set {name}: ITwinAuth sets it itself" +
                    (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) ? " (use -Token for a token of your own)." : "."),
                    "Headers");
            foreach (var c in header.Value)
            {
                if (c is '\r' or '\n' or '\0' || (c < ' ' && c != '\t') || c == '\x7f')
                    throw new ITwinAuthException(ITwinErrorIds.InvalidHeaderValue, ITwinErrorCategory.InvalidArgument,
                        $"-Headers value of '{name}' contains a control character (CR, LF, NUL or another); nothing was sent.", "Headers");
            }
            checkedHeaders[name] = header.Value;
        }
        return checkedHeaders;
    }

    /// <summary>RFC 9110 token characters.</summary>
    public static bool IsToken(string text)
    {
        foreach (var c in text)
            if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' ||
                  "!#$%&'*+-.^_`|~".IndexOf(c) >= 0))
                return false;
        return text.Length > 0;
    }

    private static string Printable(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++) if (char.IsControl(chars[i])) chars[i] = '?';
        return Sentence.Excerpt(new string(chars), 60);
    }
}
