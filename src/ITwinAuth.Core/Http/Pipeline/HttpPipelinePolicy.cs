using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>One rule of the send path. A policy does its part and hands the message on with
/// <see cref="PolicyChain.SendAsync"/>, before or after it, once or in a loop.</summary>
public abstract class HttpPipelinePolicy
{
    public abstract Task ProcessAsync(HttpMessage message, PolicyChain next);
}

/// <summary>The policies after the current one.</summary>
public readonly struct PolicyChain
{
    private readonly HttpPipelinePolicy[] _policies;
    private readonly int _index;

    internal PolicyChain(HttpPipelinePolicy[] policies, int index)
    {
        _policies = policies;
        _index = index;
    }

    public Task SendAsync(HttpMessage message) => _policies[_index].ProcessAsync(message, new PolicyChain(_policies, _index + 1));
}
