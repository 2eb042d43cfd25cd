using System;
using System.Net;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// The one place that decides where credentials may go. https everywhere, plain http only to a
/// loopback address (the emulator). A call's token, secret form, caller headers and body go only to
/// its credential origin (the authority for identity calls, the API for API calls), on every
/// attempt, redirects included: an identity call never follows a redirect to another origin; an API
/// call follows one only stripped of all of them; https never downgrades to http.
/// </summary>
public static class EndpointPolicy
{
    public const int MaximumRedirects = 5;

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
        a.IsAbsoluteUri && b.IsAbsoluteUri &&
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        a.Port == b.Port;

    public static string OriginOf(Uri uri) => uri.GetLeftPart(UriPartial.Authority);

    /// <summary>An API base URI always ends in '/', so relative paths append to it.</summary>
    public static Uri AsBase(Uri uri)
    {
        var text = uri.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith("/", StringComparison.Ordinal) ? text : text + "/");
    }

    public static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    /// <summary>
    /// The hop a redirect leads to, or a <see cref="ITwinErrorIds.RedirectRefused"/> error when the
    /// policy forbids following it. 303 (and 301/302 of a POST) become a GET without a body, as
    /// browsers do; 307/308 keep the method and the body.
    /// </summary>
    public static Hop Redirect(HttpCall call, Hop hop, HttpStatusCode status, string? location)
    {
        var code = (int)status;
        if (string.IsNullOrWhiteSpace(location) || !Uri.TryCreate(hop.Uri, location!.Trim(), out var next) ||
            (next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp))
            throw Refused(hop, $"answered {code} with a Location that is not an http(s) URI");
        var where = OriginOf(next);
        if (hop.Uri.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
            throw Refused(hop, $"answered {code} to {where}, which would downgrade https to plain http");
        RequireSecure(next, "Redirect location");

        var method = hop.Method;
        var body = hop.CarriesBody;
        if ((code == 303 && method != HttpMethod.Head) || (code is 301 or 302 && method == HttpMethod.Post))
        {
            method = HttpMethod.Get;
            body = false;
        }

        if (hop.CarriesCredentials && SameOrigin(next, call.CredentialOrigin))
            return new Hop(method, next, carriesCredentials: true, body);
        if (call.Kind == CallKind.Identity)
            throw Refused(hop, $"answered {code} to another host ({where}); identity requests and the client secret go only to the authority's own host");
        if (body)
            throw Refused(hop, $"answered {code} to another host ({where}), which would resend the request body there; " +
                "ITwinAuth sends a body only to the API host");
        return new Hop(method, next, carriesCredentials: false, carriesBody: false);
    }

    private static ITwinAuthException Refused(Hop hop, string why) =>
        new(ITwinErrorIds.RedirectRefused, ITwinErrorCategory.SecurityError,
            $"{hop.Describe()} {why}. The redirect was not followed.", hop.Describe());
}
