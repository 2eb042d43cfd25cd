using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Follows _links.next from the first page to the last, whatever the paging style behind the link
/// ($skip, continuationToken...): -Skip and -First counted in items across pages, every page inside
/// the API's boundary, one correlation id for every page, and the X-Max-Return cap noticed. A
/// listing is one call: one deadline (-TotalTimeoutSec) bounds all its pages, a next link seen before
/// ends it (a cycle of any length), and so does a run of empty pages that keeps linking on.
/// </summary>
public sealed class Pager
{
    public const string MaxReturnHeader = "X-Max-Return";

    /// <summary>Empty pages in a row, each with a next link, after which the listing is taken as stalled.</summary>
    public const int MaximumEmptyPagesInARow = 10;

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

    public async Task<PagingOutcome> RunAsync(ClientContext context, Func<Uri, HttpCall> callFor, Uri target, bool allowErrorStatus, IPageSink sink,
        ILogSink log, CancellationToken cancellationToken)
    {
        var outcome = new PagingOutcome();
        var correlationId = Guid.NewGuid().ToString();
        var visited = new HashSet<PageKey>();
        var emptyInARow = 0;
        ulong seen = 0;
        Uri? next = target;
        CallDeadline? deadline = null;
        try
        {
            while (next is not null)
            {
                var call = callFor(next);
                call.CorrelationId = correlationId;
                deadline ??= new CallDeadline(call.Deadline, context.Clock, cancellationToken);
                if (deadline.HasPassed || deadline.Left <= TimeSpan.Zero) throw ListingTimedOut(call, deadline, outcome);

                var result = await ApiClient.SendAsync(context, call, allowErrorStatus, log, cancellationToken, deadline).ConfigureAwait(false);
                await sink.ResponseAsync(result).ConfigureAwait(false);
                outcome.Pages++;
                if (!result.IsSuccess || result.Body.Length == 0)
                {
                    if (result.Body.Length > 0) await sink.WholeAsync(result).ConfigureAwait(false);
                    return outcome;
                }

                using var page = Page.Read(result, call.Boundary, call.MaximumValues);
                if (!page.IsCollection)
                {
                    await sink.WholeAsync(result).ConfigureAwait(false);
                    return outcome;
                }
                call.Boundary.RequirePage(result);

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
                var progress = $"Page {outcome.Pages}: {outcome.Written} item(s) of '{ServerText.Line(page.CollectionName, 60)}' so far";
                if (writing) await sink.ItemsAsync(page, skipHere, takeHere, progress).ConfigureAwait(false);

                if (outcome.Written >= _first && !_countAll) return outcome;
                visited.Add(PageKey.Of(next));
                next = page.Next;
                if (next is not null)
                {
                    if (visited.Contains(PageKey.Of(next))) throw Cycle(call, next, outcome);
                    emptyInARow = page.ItemCount == 0 ? emptyInARow + 1 : 0;
                    if (emptyInARow >= MaximumEmptyPagesInARow) throw Stalled(call, outcome);
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
        finally
        {
            deadline?.Dispose();
        }
    }

    /// <summary>
    /// A page as the cycle check remembers it: what is sent for its link (a #fragment never reaches the
    /// server, so links that differ only there are one page), as 16 bytes of its SHA-256. A server
    /// chooses the links' length (up to about 64 K characters each), so the links themselves are not
    /// kept: an endless listing costs the same few bytes a page until its deadline, however long they are.
    /// </summary>
    private readonly struct PageKey : IEquatable<PageKey>
    {
        private readonly ulong _high;
        private readonly ulong _low;

        private PageKey(ulong high, ulong low)
        {
            _high = high;
            _low = low;
        }

        public static PageKey Of(Uri link)
        {
            using var sha = SHA256.Create();
            var digest = sha.ComputeHash(Encoding.UTF8.GetBytes(link.GetLeftPart(UriPartial.Query)));
            return new PageKey(BitConverter.ToUInt64(digest, 0), BitConverter.ToUInt64(digest, 8));
        }

        public bool Equals(PageKey other) => _high == other._high && _low == other._low;
        public override bool Equals(object? obj) => obj is PageKey other && Equals(other);
        public override int GetHashCode() => _low.GetHashCode();
    }

    private static ITwinAuthException Cycle(HttpCall call, Uri next, PagingOutcome outcome) =>
        new(ITwinErrorIds.PagingCycle, ITwinErrorCategory.InvalidResult,
            $"{call.Describe()}: page {outcome.Pages} links back to a page already read ({Hop.Describe(call.Method, next)}), so paging stopped " +
            $"after {outcome.Written} item(s): the service's next links go round in a circle.", call.Describe());

    private static ITwinAuthException Stalled(HttpCall call, PagingOutcome outcome) =>
        new(ITwinErrorIds.PagingStalled, ITwinErrorCategory.InvalidResult,
            $"{call.Describe()}: {MaximumEmptyPagesInARow} empty pages in a row each linked to another, so paging stopped after " +
            $"{outcome.Pages} page(s) and {outcome.Written} item(s): the listing is not moving forward.", call.Describe());

    private static ITwinAuthException ListingTimedOut(HttpCall call, CallDeadline deadline, PagingOutcome outcome) =>
        new(ITwinErrorIds.RequestTimedOut, ITwinErrorCategory.OperationTimeout,
            $"{call.Describe()}: the listing did not complete within its overall deadline of {deadline.Span.TotalSeconds:0.###} s " +
            $"({outcome.Pages} page(s), {outcome.Written} item(s) written). Raise it with -TotalTimeoutSec for a long listing.", call.Describe());
}
