using System.Net;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>A 401 to a token the module can replace is answered once per call with a new token
/// (the cached one is dropped first); a second 401, or one to a token given by hand, is the answer
/// (a token given by hand is still reported, so a cached copy of it is dropped).</summary>
internal sealed class RenewOn401Policy : HttpPipelinePolicy
{
    public override async Task ProcessAsync(HttpMessage message, PolicyChain next)
    {
        while (true)
        {
            await next.SendAsync(message).ConfigureAwait(false);
            if (message.Response!.StatusCode != HttpStatusCode.Unauthorized || message.Token is not { } token ||
                message.Renewed || message.Call.Tokens is not { } tokens)
                return;
            message.Renewed = true;
            if (!tokens.CanRenew)
            {
                tokens.Rejected(token);
                return;
            }
            message.Log.Verbose($"{message.Hop.Describe()} answered 401: dropping the cached token and retrying once with a new one.");
            tokens.Rejected(token);
            message.Response = null;
        }
    }
}
