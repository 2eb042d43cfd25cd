using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>The bearer token, on a hop the call's boundary lets carry credentials; none elsewhere.</summary>
internal sealed class AuthorizationPolicy : HttpPipelinePolicy
{
    public override async Task ProcessAsync(HttpMessage message, PolicyChain next)
    {
        message.Token = null;
        if (message.Call.Tokens is { } tokens)
        {
            if (message.Hop.CarriesCredentials)
                message.Token = await tokens.GetTokenAsync(false, message.Deadline.Token).ConfigureAwait(false);
            else
                message.Log.Verbose($"{message.Hop.Describe()}: not the API host the token is for, so no Authorization header, -Headers or body is sent.");
        }
        await next.SendAsync(message).ConfigureAwait(false);
    }
}
