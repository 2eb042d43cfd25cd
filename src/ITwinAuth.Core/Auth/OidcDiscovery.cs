using System;
using System.Collections.Concurrent;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Finds the token endpoint from {authority}/.well-known/openid-configuration, as the official
/// client does, and remembers it for the process. The endpoint must be on the authority's own
/// origin: a discovery document cannot send the secret elsewhere.
/// </summary>
public static class OidcDiscovery
{
    private static readonly ConcurrentDictionary<string, Uri> TokenEndpoints = new(StringComparer.OrdinalIgnoreCase);

    public static Uri DocumentUri(Uri authority) =>
        new(EndpointPolicy.AsBase(authority), ".well-known/openid-configuration");

    public static void Forget() => TokenEndpoints.Clear();

    public static async Task<Uri> GetTokenEndpointAsync(Uri authority, ILogSink log, CancellationToken cancellationToken)
    {
        var documentUri = DocumentUri(authority);
        if (TokenEndpoints.TryGetValue(documentUri.AbsoluteUri, out var known)) return known;

        log.Verbose($"Discovering the token endpoint at {documentUri}.");
        var call = IdentityRequests.NewCall(HttpMethod.Get, documentUri, authority);
        var result = await IdentityRequests.SendAsync(call, $"The identity service at {EndpointPolicy.OriginOf(authority)}", log, cancellationToken).ConfigureAwait(false);

        if (!result.IsSuccess)
            throw new ITwinAuthException(ITwinErrorIds.DiscoveryFailed, ITwinErrorCategory.ResourceUnavailable,
                $"The identity service at {authority.GetLeftPart(UriPartial.Authority)} answered {(int)result.StatusCode} {result.ReasonPhrase} " +
                $"for its discovery document {documentUri}. Check -Authority.", documentUri.ToString());

        var endpoint = ParseTokenEndpoint(result.Body, authority, documentUri);
        TokenEndpoints[documentUri.AbsoluteUri] = endpoint;
        log.Verbose($"Token endpoint: {endpoint}.");
        return endpoint;
    }

    internal static Uri ParseTokenEndpoint(byte[] body, Uri authority, Uri documentUri)
    {
        using var document = JsonRead.TryParse(body);
        var text = document?.RootElement.String("token_endpoint");
        if (text is null || !Uri.TryCreate(text, UriKind.Absolute, out var endpoint))
            throw new ITwinAuthException(ITwinErrorIds.DiscoveryDocumentInvalid, ITwinErrorCategory.InvalidData,
                document is null
                    ? $"The discovery document at {documentUri} is not JSON. Check -Authority."
                    : $"The discovery document at {documentUri} names no usable token_endpoint. Check -Authority.",
                documentUri.ToString());
        if (!EndpointPolicy.SameOrigin(endpoint, authority))
            throw new ITwinAuthException(ITwinErrorIds.DiscoveryDocumentInvalid, ITwinErrorCategory.SecurityError,
                $"The discovery document at {documentUri} names a token endpoint on another host " +
                $"({endpoint.GetLeftPart(UriPartial.Authority)}); the client secret is sent only to the authority's own host.",
                documentUri.ToString());
        return endpoint;
    }
}
