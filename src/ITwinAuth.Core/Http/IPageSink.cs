using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>What the pager hands its caller, and when.</summary>
public interface IPageSink
{
    /// <summary>Every response, before anything of it is written (-StatusCodeVariable and friends).</summary>
    Task ResponseAsync(HttpResult result);

    /// <summary>A response that is not a collection page (an error body, an object): written whole; paging ends.</summary>
    Task WholeAsync(HttpResult result);

    /// <summary>The items of one page after <paramref name="skip"/>, at most <paramref name="take"/>. The
    /// next page is asked for only when this completes, so the pipeline sets the pace.</summary>
    Task ItemsAsync(Page page, int skip, int take, string progress);
}
