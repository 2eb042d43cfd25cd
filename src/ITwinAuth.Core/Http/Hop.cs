using System;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// Where one attempt goes and what it may carry. A call starts with one hop; a redirect makes the
/// next, which may carry less (never more): once a call leaves its credential origin it carries
/// nothing of the caller's again.
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

    public static Hop First(HttpCall call) => new(call.Method, call.Uri,
        EndpointPolicy.SameOrigin(call.Uri, call.CredentialOrigin), call.Content is not null);

    public string Describe() => $"{Method.Method} {Uri.GetLeftPart(UriPartial.Path)}";
}
