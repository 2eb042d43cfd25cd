using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Output;

/// <summary>
/// Runs up to N requests at once and writes their results in input order. The oldest request
/// writes straight through as its results arrive; the others hold theirs until every earlier one
/// is written, and a paged one does not ask for its next page before that. So at most N requests
/// are under way or waiting to be written, and each holds at most one page.
/// </summary>
internal sealed class OrderedFanOut
{
    private readonly Queue<Item> _items = new();
    private readonly int _limit;
    private readonly Func<Action, bool> _post;
    private readonly Func<Func<Action, bool>, ILogSink> _logFor;

    public OrderedFanOut(int limit, Func<Action, bool> post, Func<Func<Action, bool>, ILogSink> logFor)
    {
        _limit = limit;
        _post = post;
        _logFor = logFor;
    }

    /// <summary>Starts one request once fewer than N are pending, writing out the oldest ones meanwhile.</summary>
    public async Task AddAsync(Func<IRequestOutput, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        while (_items.Count >= _limit) await RetireOldestAsync().ConfigureAwait(false);
        var item = new Item(_post, _logFor);
        if (_items.Count == 0) item.Promote();
        _items.Enqueue(item);
        item.Task = Task.Run(() => work(item, cancellationToken), cancellationToken);
    }

    /// <summary>Writes out every pending request, in order.</summary>
    public async Task DrainAsync()
    {
        while (_items.Count > 0) await RetireOldestAsync().ConfigureAwait(false);
    }

    private async Task RetireOldestAsync()
    {
        var oldest = _items.Peek();
        oldest.Promote();
        try
        {
            await oldest.Task!.ConfigureAwait(false);
        }
        finally
        {
            _items.Dequeue();
            if (_items.Count > 0) _items.Peek().Promote();
        }
    }

    private sealed class Item : IRequestOutput
    {
        private readonly object _gate = new();
        private readonly Func<Action, bool> _post;
        private List<Action>? _held = new();

        public Item(Func<Action, bool> post, Func<Func<Action, bool>, ILogSink> logFor)
        {
            _post = post;
            Log = logFor(Post);
        }

        public Task? Task { get; set; }
        public ILogSink Log { get; }

        /// <summary>Now the oldest: what it held goes out, in order, and the rest goes straight through.</summary>
        public void Promote()
        {
            lock (_gate)
            {
                if (_held is null) return;
                foreach (var action in _held) _post(action);
                _held = null;
            }
        }

        public bool Post(Action action)
        {
            lock (_gate)
            {
                if (_held is null) return _post(action);
                _held.Add(action);
                return true;
            }
        }

        public Task RunAsync(Action action, CancellationToken cancellationToken) => PipelineDispatcher.RunAsync(Post, action, cancellationToken);
    }
}
