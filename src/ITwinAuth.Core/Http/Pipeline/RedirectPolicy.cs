using System.Linq;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Follows a redirect to the hop the call's <see cref="CredentialBoundary"/> allows, at most
/// <see cref="CredentialBoundary.MaximumRedirects"/> times per call.</summary>
internal sealed class RedirectPolicy : HttpPipelinePolicy
{
    public override async Task ProcessAsync(HttpMessage message, PolicyChain next)
    {
        while (true)
        {
            await next.SendAsync(message).ConfigureAwait(false);
            var response = message.Response!;
            if (!ResponseClassifier.IsRedirect(response.StatusCode)) return;

            var hop = message.Hop;
            if (++message.Redirects > CredentialBoundary.MaximumRedirects)
                throw new ITwinAuthException(ITwinErrorIds.TooManyRedirects, ITwinErrorCategory.InvalidResult,
                    $"{message.Call.Describe()} was redirected more than {CredentialBoundary.MaximumRedirects} times.", message.Call.Describe());
            var location = response.Headers.TryGetValues("Location", out var values) ? values.FirstOrDefault() : null;
            var nextHop = message.Call.Boundary.Redirect(hop, response.StatusCode, location);
            message.Log.Verbose($"{hop.Describe()} redirected ({(int)response.StatusCode}) to {nextHop.Describe()}" +
                (nextHop.CarriesCredentials || !hop.CarriesCredentials ? "." : ", another host: followed without Authorization, -Headers or body."));
            message.Response = null;
            message.Hop = nextHop;
        }
    }
}
