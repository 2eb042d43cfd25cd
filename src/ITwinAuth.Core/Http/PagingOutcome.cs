namespace ITwinAuth.Core;

/// <summary>How a listing ended.</summary>
public sealed class PagingOutcome
{
    public int Pages { get; internal set; }
    public ulong Skipped { get; internal set; }
    public ulong Written { get; internal set; }

    /// <summary>Every item of the pages read, written or not: the listing's total once <see cref="Complete"/>.</summary>
    public ulong Total { get; internal set; }

    /// <summary>The listing's last page was reached (no next link), rather than -First or an error.</summary>
    public bool Complete { get; internal set; }

    /// <summary>The X-Max-Return cap the listing stopped at, when it did: the API returns no more than
    /// that many in all, unless the request raises it.</summary>
    public int? StoppedAtCap { get; internal set; }
}
