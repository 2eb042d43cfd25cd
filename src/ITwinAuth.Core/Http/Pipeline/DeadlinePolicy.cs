using System;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// The call's overall deadline bounds everything inside it. Whatever the cancellation surfaced as
/// (a cancelled wait, a disposed stream), when the deadline and not the caller ended the call, it
/// is <see cref="ITwinErrorIds.RequestTimedOut"/>.
/// </summary>
internal sealed class DeadlinePolicy : HttpPipelinePolicy
{
    public override async Task ProcessAsync(HttpMessage message, PolicyChain next)
    {
        try
        {
            await next.SendAsync(message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ITwinAuthException && message.Deadline.HasPassed)
        {
            throw TransportFailures.DeadlineExceeded(message);
        }
    }
}
