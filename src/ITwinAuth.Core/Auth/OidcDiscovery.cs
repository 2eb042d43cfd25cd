using System;
using System.Collections.Concurrent;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Finds the token endpoint from {authority}/.well-known/openid-configuration, as the official
/// client does, and remembers it for the context. The endpoint must be inside the authority's
/// <see cref="CredentialBoundary"/>: a discovery document cannot send the secret elsewhere.
/// </summary>
public sealed class OidcDiscovery
{
    private readonly ConcurrentDictionary<string, Uri> _tokenEndpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly HttpPipeline _pipeline;

    public OidcDiscovery(HttpPipeline pipeline) => _pipeline = pipeline;

    public static Uri DocumentUri(Uri authority) =>
        new(CredentialBoundary.AsBase(authority), ".well-known/openid-configuration");

    public void Forget() => _tokenEndpoints.Clear();

    /// <param name="pipeline">The connection's (through its proxy), or the context's default.</param>
    public async Task<Uri> GetTokenEndpointAsync(Uri authority, ILogSink log, CancellationToken cancellationToken, HttpPipeline? pipeline = null)
    {
        var documentUri = DocumentUri(authority);
        if (_tokenEndpoints.TryGetValue(documentUri.AbsoluteUri, out var known)) return known;

        log.Verbose($"Discovering the token endpoint at {documentUri}.");
        var call = IdentityRequests.NewCall(HttpMethod.Get, documentUri, authority);
        var result = await IdentityRequests.SendAsync(pipeline ?? _pipeline, call, $"The identity service at {CredentialBoundary.OriginOf(authority)}", log, cancellationToken).ConfigureAwait(false);

        if (!result.IsSuccess)
            throw new ITwinAuthException(ITwinErrorIds.DiscoveryFailed, ITwinErrorCategory.ResourceUnavailable,
                $"The identity service at {CredentialBoundary.OriginOf(authority)} answered {(int)result.StatusCode} {result.ReasonPhrase} " +
                $"for its discovery document {documentUri}. Check -Authority.", documentUri.ToString());

        var endpoint = ParseTokenEndpoint(result.Body, call.Boundary, documentUri);
        _tokenEndpoints[documentUri.AbsoluteUri] = endpoint;
        log.Verbose($"Token endpoint: {endpoint}.");
        return endpoint;
    }

    internal static Uri ParseTokenEndpoint(byte[] body, CredentialBoundary boundary, Uri documentUri)
    {
        using var document = JsonRead.TryParse(body);
        var text = document?.RootElement.String("token_endpoint");
        if (text is null || !Uri.TryCreate(text, UriKind.Absolute, out var endpoint) ||
            (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
            throw new ITwinAuthException(ITwinErrorIds.DiscoveryDocumentInvalid, ITwinErrorCategory.InvalidData,
                document is null
                    ? $"The discovery document at {documentUri} is not JSON. Check -Authority."
                    : $"The discovery document at {documentUri} names no usable token_endpoint. Check -Authority.",
                documentUri.ToString());
        return boundary.RequireTokenEndpoint(endpoint, documentUri);
    }
}
