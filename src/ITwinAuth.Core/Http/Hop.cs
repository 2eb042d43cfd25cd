using System;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// Where one attempt goes and what it may carry, as the call's <see cref="CredentialBoundary"/>
/// decided. A call starts with one hop; a redirect makes the next, which may carry less, never more.
/// </summary>
public sealed class Hop
{
    public Hop(HttpMethod method, Uri uri, bool carriesCredentials, bool carriesBody)
    {
        Method = method;
        Uri = uri;
        CarriesCredentials = carriesCredentials;
        CarriesBody = carriesBody;
    }

    public HttpMethod Method { get; }
    public Uri Uri { get; }

    /// <summary>The token (API calls) and the caller's headers go with this hop.</summary>
    public bool CarriesCredentials { get; }

    /// <summary>The call's body goes with this hop.</summary>
    public bool CarriesBody { get; }

    /// <summary>A call's first hop, as its boundary decides.</summary>
    public static Hop First(HttpCall call) => call.Boundary.FirstHop(call.Method, call.Uri, call.Content is not null);

    public string Describe() => Describe(Method, Uri);

    /// <summary>"METHOD scheme://host/path": how every message names a request (no query: it may hold values).</summary>
    public static string Describe(HttpMethod method, Uri uri) => $"{method.Method} {uri.GetLeftPart(UriPartial.Path)}";
}
