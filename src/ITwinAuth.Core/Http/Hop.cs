using System;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// Where one attempt goes and what it may carry, as the call's <see cref="CredentialBoundary"/>
/// decided. A call starts with one hop; a redirect makes the next, which may carry less, never more.
/// </summary>
/// <param name="CarriesCredentials">The token (API calls) and the caller's headers go with this hop.</param>
/// <param name="CarriesBody">The call's body goes with this hop.</param>
public sealed record Hop(HttpMethod Method, Uri Uri, bool CarriesCredentials, bool CarriesBody)
{
    /// <summary>A call's first hop, as its boundary decides.</summary>
    public static Hop First(HttpCall call) => call.Boundary.FirstHop(call.Method, call.Uri, call.Content is not null);

    public string Describe() => Describe(Method, Uri);

    /// <summary>"METHOD scheme://host/path": how every message names a request (no query: it may hold values).</summary>
    public static string Describe(HttpMethod method, Uri uri) => $"{method.Method} {uri.GetLeftPart(UriPartial.Path)}";
}
