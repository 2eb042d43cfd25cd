using System.Net.Http;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>The last step: builds the attempt's request (only what the hop may carry) and sends it
/// through the context's transport, up to the response headers, within the attempt's own timeout.</summary>
internal sealed class TransportPolicy : HttpPipelinePolicy
{
    private readonly HttpMessageInvoker _transport;

    public TransportPolicy(HttpMessageInvoker transport) => _transport = transport;

    public override async Task ProcessAsync(HttpMessage message, PolicyChain next)
    {
        message.Attempts++;
        message.BeginAttempt();
        using var request = RequestFactory.Build(message.Call, message.Hop, message.Token);
        if (message.Log.ShowsDebug)
            message.Log.Debug($"{message.Hop.Describe()} (attempt {message.Attempts}{(message.Token is null ? string.Empty : ", Authorization: Bearer ***")}).");
        message.Response = await _transport.SendAsync(request, message.AttemptToken).ConfigureAwait(false);
        // A proxy between here and the host refused: no retry, redirect or renewal can help.
        if ((int)message.Response.StatusCode == 407)
            throw TransportFailures.ProxyRefused(message.Hop, "answered 407 Proxy Authentication Required");
    }
}
