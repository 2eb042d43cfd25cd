using System;
using System.Net;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// The one place that decides which host may receive a credential. A call has one boundary, built
/// from one origin: the authority for identity calls (discovery, the secret form), the connection's
/// API for API calls (the token, the caller's -Headers, the body). It answers every question about
/// it: the first hop, each redirect, a page's next link, the token endpoint a discovery document
/// names. https everywhere; plain http only to a loopback address (the emulator); https never
/// downgrades; an identity call never leaves its origin; an API call may follow a redirect
/// elsewhere only stripped of everything the caller gave.
/// </summary>
public sealed class CredentialBoundary
{
    public const int MaximumRedirects = 5;

    public CredentialBoundary(Uri origin, CallKind kind)
    {
        Origin = origin;
        Kind = kind;
    }

    /// <summary>The only origin that may receive what the call carries.</summary>
    public Uri Origin { get; }

    public CallKind Kind { get; }

    public static CredentialBoundary ForApi(Uri apiBaseUri) => new(apiBaseUri, CallKind.Api);

    public static CredentialBoundary ForIdentity(Uri authority) => new(authority, CallKind.Identity);

    /// <summary>Whether <paramref name="uri"/> is on this boundary's origin.</summary>
    public bool Admits(Uri uri) =>
        uri.IsAbsoluteUri && Origin.IsAbsoluteUri &&
        string.Equals(uri.Scheme, Origin.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(uri.IdnHost, Origin.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        uri.Port == Origin.Port;

    /// <summary>The first attempt's hop: it carries credentials and the body only when it is on the origin.</summary>
    public Hop FirstHop(HttpMethod method, Uri uri, bool hasBody)
    {
        var inside = Admits(uri);
        return new Hop(method, uri, inside, hasBody && inside);
    }

    /// <summary>
    /// The hop a redirect leads to, or <see cref="ITwinErrorIds.RedirectRefused"/> when it may not be
    /// followed. 303 (and 301/302 of a POST) become a GET without a body, as browsers do; 307/308 keep
    /// the method and the body. A hop off the origin carries nothing of the caller's, and no later hop
    /// of the call carries it again.
    /// </summary>
    public Hop Redirect(Hop hop, HttpStatusCode status, string? location)
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

        if (hop.CarriesCredentials && Admits(next))
            return new Hop(method, next, CarriesCredentials: true, body);
        if (Kind == CallKind.Identity)
            throw Refused(hop, $"answered {code} to another host ({where}); identity requests and the client secret go only to the authority's own host");
        if (body)
            throw Refused(hop, $"answered {code} to another host ({where}), which would resend the request body there; " +
                "ITwinAuth sends a body only to the API host");
        return new Hop(method, next, CarriesCredentials: false, CarriesBody: false);
    }

    /// <summary>A request target (-Path, -Uri): on the API origin, or refused before anything is sent.</summary>
    public Uri RequireTarget(Uri target)
    {
        if (!string.IsNullOrEmpty(target.UserInfo))
            throw new ITwinAuthException(ITwinErrorIds.InvalidPath, ITwinErrorCategory.InvalidArgument,
                "-Uri names a user and password in the address (user:password@host); ITwinAuth sends only its token, so it refuses them.", "Uri");
        if (Admits(target)) return target;
        throw new ITwinAuthException(ITwinErrorIds.ForeignHostRefused, ITwinErrorCategory.SecurityError,
            $"{OriginOf(target)} is not the API host the token is for ({OriginOf(Origin)}); " +
            "ITwinAuth sends the token only there. Use -Path, or sign in with -ApiBaseUri for that host.",
            target.GetLeftPart(UriPartial.Path));
    }

    /// <summary>
    /// A listing's pages come from the API origin only: a page that a redirect fetched from another
    /// host is not part of the listing.
    /// </summary>
    public void RequirePage(HttpResult page)
    {
        if (Admits(page.Uri)) return;
        throw new ITwinAuthException(ITwinErrorIds.ForeignHostRefused, ITwinErrorCategory.SecurityError,
            $"A page of the listing came from another host ({OriginOf(page.Uri)}) after a redirect; a listing's pages come " +
            $"only from the API host ({OriginOf(Origin)}), so paging stopped.", page.Uri.GetLeftPart(UriPartial.Path));
    }

    /// <summary>A page's next link, resolved against the page: on the API origin, or paging stops.</summary>
    public Uri RequireNextLink(HttpResult page, string href)
    {
        if (!Uri.TryCreate(page.Uri, href, out var next) || (next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp))
            throw new ITwinAuthException(ITwinErrorIds.NextLinkInvalid, ITwinErrorCategory.InvalidResult,
                $"{page.Target} gave a next link that is not an http(s) URI, so paging stopped.", page.Target);
        if (!Admits(next) || !string.IsNullOrEmpty(next.UserInfo))
            throw new ITwinAuthException(ITwinErrorIds.ForeignHostRefused, ITwinErrorCategory.SecurityError,
                $"{page.Target} gave a next link on another host ({OriginOf(next)}); " +
                "ITwinAuth does not send the token there, so paging stopped.", next.GetLeftPart(UriPartial.Path));
        return next;
    }

    /// <summary>The token endpoint a discovery document names: on the authority's origin only.</summary>
    public Uri RequireTokenEndpoint(Uri endpoint, Uri documentUri)
    {
        if (Admits(endpoint)) return endpoint;
        throw new ITwinAuthException(ITwinErrorIds.DiscoveryDocumentInvalid, ITwinErrorCategory.SecurityError,
            $"The discovery document at {documentUri} names a token endpoint on another host " +
            $"({OriginOf(endpoint)}); the client secret is sent only to the authority's own host.",
            documentUri.ToString());
    }

    /// <summary>A host the user gives (-Authority, -ApiBaseUri): absolute, http(s), secure, and without a
    /// user:password@ (ITwinAuth sends only its client secret or token; one kept in the host would be shown
    /// with the connection and the token, and no request could reach a host that has one).</summary>
    public static Uri RequireUsable(string? text, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text!.Trim(), UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || string.IsNullOrEmpty(uri.Host))
            throw new ITwinAuthException(ITwinErrorIds.InvalidUri, ITwinErrorCategory.InvalidArgument,
                $"{parameterName} '{Sentence.Excerpt(text ?? string.Empty, 200)}' is not an absolute https URI.", parameterName);
        if (!string.IsNullOrEmpty(uri.UserInfo))
            throw new ITwinAuthException(ITwinErrorIds.InvalidUri, ITwinErrorCategory.InvalidArgument,
                $"{parameterName} '{uri.Scheme}://{uri.Authority}' names a user and password in the address (user:password@host); " +
                "ITwinAuth sends only its client secret or token, so it refuses them.", parameterName);
        return RequireSecure(uri, parameterName);
    }

    /// <summary>https, or plain http to a loopback address.</summary>
    public static Uri RequireSecure(Uri uri, string parameterName)
    {
        if (!uri.IsAbsoluteUri)
            throw new ITwinAuthException(ITwinErrorIds.InvalidUri, ITwinErrorCategory.InvalidArgument,
                $"{parameterName} '{uri}' is not an absolute URI.", parameterName);
        if (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)))
            return uri;
        throw new ITwinAuthException(ITwinErrorIds.InsecureUri, ITwinErrorCategory.SecurityError,
            $"{parameterName} '{OriginOf(uri)}' must use https; plain http is allowed only for loopback addresses.",
            parameterName);
    }

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>Same origin and path (case-insensitive, trailing '/' ignored): the same deployment's endpoint.</summary>
    public static bool SameEndpoint(Uri a, Uri b) =>
        new CredentialBoundary(a, CallKind.Api).Admits(b) &&
        string.Equals(a.AbsolutePath.TrimEnd('/'), b.AbsolutePath.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    public static string OriginOf(Uri uri) => uri.GetLeftPart(UriPartial.Authority);

    /// <summary>An API base URI always ends in '/', so relative paths append to it.</summary>
    public static Uri AsBase(Uri uri)
    {
        var text = uri.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith("/", StringComparison.Ordinal) ? text : text + "/");
    }

    private static ITwinAuthException Refused(Hop hop, string why) =>
        new(ITwinErrorIds.RedirectRefused, ITwinErrorCategory.SecurityError,
            $"{hop.Describe()} {why}. The redirect was not followed.", hop.Describe());
}
