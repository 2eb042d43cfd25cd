using System;
using System.Net;

namespace ITwinAuth.Core;

/// <summary>
/// The one place that decides where credentials may go: https everywhere, plain http only to a
/// loopback address (the emulator), and a bearer token only to the connection's API origin.
/// </summary>
public static class EndpointPolicy
{
    public static Uri RequireUsable(string? text, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text!.Trim(), UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || string.IsNullOrEmpty(uri.Host))
            throw new ITwinAuthException(ITwinErrorIds.InvalidUri, ITwinErrorCategory.InvalidArgument,
                $"{parameterName} '{text}' is not an absolute https URI.", parameterName);
        return RequireSecure(uri, parameterName);
    }

    public static Uri RequireSecure(Uri uri, string parameterName)
    {
        if (!uri.IsAbsoluteUri)
            throw new ITwinAuthException(ITwinErrorIds.InvalidUri, ITwinErrorCategory.InvalidArgument,
                $"{parameterName} '{uri}' is not an absolute URI.", parameterName);
        if (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)))
            return uri;
        throw new ITwinAuthException(ITwinErrorIds.InsecureUri, ITwinErrorCategory.SecurityError,
            $"{parameterName} '{uri.GetLeftPart(UriPartial.Authority)}' must use https; plain http is allowed only for loopback addresses.",
            parameterName);
    }

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>Same scheme, host and port.</summary>
    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        a.Port == b.Port;

    /// <summary>An API base URI always ends in '/', so relative paths append to it.</summary>
    public static Uri AsBase(Uri uri)
    {
        var text = uri.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith("/", StringComparison.Ordinal) ? text : text + "/");
    }
}
