using System;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Output;

/// <summary>Where one request's results go: straight to the pipeline, or, in a fan-out, through its
/// place in the input order.</summary>
internal interface IRequestOutput
{
    ILogSink Log { get; }

    /// <summary>Queues an action for the pipeline thread (a write, an error, a variable).</summary>
    bool Post(Action action);

    /// <summary>Queues an action and completes when the pipeline thread has run it: the pager waits
    /// on this before asking for the next page, so memory holds one page.</summary>
    Task RunAsync(Action action, CancellationToken cancellationToken);
}
