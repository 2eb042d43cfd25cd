using System;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Follows _links.next from the first page to the last, whatever the paging style behind the link
/// ($skip, continuationToken...): -Skip and -First counted in items across pages, the next link
/// kept on the API's origin, one correlation id for every page, and the X-Max-Return cap noticed.
/// </summary>
public sealed class Pager
{
    public const string MaxReturnHeader = "X-Max-Return";

    private readonly ulong _skip;
    private readonly ulong _first;
    private readonly bool _countAll;

    /// <param name="countAll">Past -First, keep following the next links to count the rest
    /// (-IncludeTotalCount): nothing more is written, but the total is exact.</param>
    public Pager(ulong skip, ulong first, bool countAll = false)
    {
        _skip = skip;
        _first = first;
        _countAll = countAll;
    }

    public async Task<PagingOutcome> RunAsync(Func<Uri, HttpCall> callFor, Uri target, bool allowErrorStatus, IPageSink sink,
        ILogSink log, CancellationToken cancellationToken)
    {
        var outcome = new PagingOutcome();
        var correlationId = Guid.NewGuid().ToString();
        ulong seen = 0;
        Uri? next = target;
        while (next is not null)
        {
            var call = callFor(next);
            call.CorrelationId = correlationId;
            var result = await ApiClient.SendAsync(call, allowErrorStatus, log, cancellationToken).ConfigureAwait(false);
            await sink.ResponseAsync(result).ConfigureAwait(false);
            outcome.Pages++;
            if (!result.IsSuccess || result.Body.Length == 0)
            {
                if (result.Body.Length > 0) await sink.WholeAsync(result).ConfigureAwait(false);
                return outcome;
            }

            using var page = Page.Read(result, call.CredentialOrigin);
            if (!page.IsCollection)
            {
                await sink.WholeAsync(result).ConfigureAwait(false);
                return outcome;
            }

            seen += (ulong)page.ItemCount;
            outcome.Total = seen;
            var writing = outcome.Written < _first;
            int skipHere = 0, takeHere = 0;
            if (writing)
            {
                skipHere = (int)Math.Min((ulong)page.ItemCount, _skip - outcome.Skipped);
                takeHere = (int)Math.Min((ulong)(page.ItemCount - skipHere), _first - outcome.Written);
                outcome.Skipped += (ulong)skipHere;
                outcome.Written += (ulong)takeHere;
            }
            var progress = $"Page {outcome.Pages}: {outcome.Written} item(s) of '{page.CollectionName}' so far";
            if (writing) await sink.ItemsAsync(page, skipHere, takeHere, progress).ConfigureAwait(false);

            if (outcome.Written >= _first && !_countAll) return outcome;
            next = page.Next;
            if (next is not null)
            {
                log.Verbose(outcome.Written >= _first ? $"{progress}; counting the rest ({seen} so far)." : $"{progress}; following the next link.");
                continue;
            }
            outcome.Complete = true;
            if (int.TryParse(result.Header(MaxReturnHeader), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var cap) && cap > 0 && seen >= (ulong)cap)
                outcome.StoppedAtCap = cap;
        }
        return outcome;
    }
}
