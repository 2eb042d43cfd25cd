using System;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Output;

/// <summary>A request run on its own: everything goes to the command's queue as it comes.</summary>
internal sealed class DirectOutput : IRequestOutput
{
    private readonly Func<Action, bool> _post;

    public DirectOutput(Func<Action, bool> post, ILogSink log)
    {
        _post = post;
        Log = log;
    }

    public ILogSink Log { get; }
    public bool Post(Action action) => _post(action);
    public Task RunAsync(Action action, CancellationToken cancellationToken) => PipelineDispatcher.RunAsync(Post, action, cancellationToken);
}
