using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ITwinAuth.Emulator;

/// <summary>
/// The hostile answers of the attack tests (tests/Pester/Attack.Tests.ps1), each bounded in size and
/// stopping by itself:
///   pages          a listing that never ends: page n (query "page", 0 when absent) links to page n+1,
///                  or to (n+1) mod CycleLength when CycleLength > 0 (1: a page that links to itself);
///                  ItemsPerPage items each (0: endless empty pages), in an array named CollectionName;
///                  FragmentLinks adds "#k" (k counting up) to every link, LinkPadding pads its query,
///                  DelayMs holds each page that long.
///   json-big       Bytes bytes of JSON with their Content-Length: Shape "zeros" ([0,0,...]), "objects"
///                  ([{},{},...]) or "string" ({"s":"777..."}).
///   refuse-stream  reads the whole request, counts it delivered, then refuses it: RST_STREAM
///                  (REFUSED_STREAM) on HTTP/2, a closed connection (FIN) on HTTP/1.1.
/// </summary>
public static class AttackResponses
{
    public static bool Handles(string action) => action is "pages" or "json-big" or "refuse-stream";

    private const int RefusedStream = 0x7;
    private static int _fragment;

    public static async Task SendAsync(HttpContext context, FaultRule rule, EmulatorStats stats)
    {
        switch (rule.Action)
        {
            case "pages":
                await PageAsync(context, rule);
                return;
            case "json-big":
                await BigJsonAsync(context, rule);
                return;
            case "refuse-stream":
                await RefuseAsync(context, stats);
                return;
        }
    }

    private static async Task PageAsync(HttpContext context, FaultRule rule)
    {
        var request = context.Request;
        if (rule.DelayMs > 0) await Task.Delay(Math.Min(rule.DelayMs, 60_000), context.RequestAborted).ContinueWith(_ => { });
        if (context.RequestAborted.IsCancellationRequested) return;
        var page = int.TryParse(request.Query["page"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var next = rule.CycleLength > 0 ? (page + 1) % rule.CycleLength : page + 1;
        var link = $"{request.Scheme}://{request.Host}{request.Path}?page={next.ToString(CultureInfo.InvariantCulture)}";
        if (rule.LinkPadding > 0) link += "&pad=" + new string('p', Math.Min(rule.LinkPadding, 60_000));
        if (rule.FragmentLinks) link += "#" + Interlocked.Increment(ref _fragment).ToString(CultureInfo.InvariantCulture);
        var items = Enumerable.Range(0, Math.Clamp(rule.ItemsPerPage, 0, 1000))
            .Select(i => new Dictionary<string, object> { ["id"] = $"page{page}-item{i}", ["displayName"] = $"Item {i} of page {page}" }).ToList();
        var body = new Dictionary<string, object?>
        {
            [rule.CollectionName ?? "iTwins"] = items,
            ["_links"] = new Dictionary<string, object?>
            {
                ["self"] = new { href = $"{request.Scheme}://{request.Host}{request.Path}{request.QueryString}" },
                ["next"] = new { href = link },
            },
        };
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }

    private static async Task BigJsonAsync(HttpContext context, FaultRule rule)
    {
        var size = Math.Clamp(rule.Bytes, 16, 1L << 30);
        var response = context.Response;
        response.StatusCode = rule.Status is >= 200 and < 600 ? rule.Status : 200;
        response.ContentType = "application/json";
        response.ContentLength = size;
        var (head, fill, tail) = rule.Shape switch
        {
            "string" => ("{\"s\":\"", "7", "\"}"),
            "objects" => ("[{}", ",{}", "]"),
            _ => ("[0", ",0", "]"),
        };
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(fill, 32 * 1024 / fill.Length)));
        var cancel = context.RequestAborted;
        try
        {
            await response.Body.WriteAsync(Encoding.ASCII.GetBytes(head), cancel);
            var left = size - head.Length - tail.Length;
            while (left > 0)
            {
                // Whole fill units only, so the JSON stays valid: the size is rounded down to them.
                var count = (int)Math.Min(chunk.Length, left - left % fill.Length);
                if (count == 0) break;
                await response.Body.WriteAsync(chunk.AsMemory(0, count), cancel);
                left -= count;
            }
            // What rounding left over goes before the end as spaces, which JSON allows.
            if (left > 0) await response.Body.WriteAsync(Encoding.ASCII.GetBytes(new string(' ', (int)left)), cancel);
            await response.Body.WriteAsync(Encoding.ASCII.GetBytes(tail), cancel);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException) { }
    }

    private static async Task RefuseAsync(HttpContext context, EmulatorStats stats)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await context.Request.Body.CopyToAsync(Stream.Null, bounded.Token);
        }
        catch (Exception)
        {
            // The body did not arrive whole (the client gave up on it): not a delivery.
            context.Abort();
            return;
        }
        stats.BodyDelivered();
        var reset = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResetFeature>();
        if (context.Request.Protocol == "HTTP/2" && reset is not null) reset.Reset(RefusedStream);
        else
        {
            context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket?.Shutdown(System.Net.Sockets.SocketShutdown.Both);
            context.Abort();
        }
    }
}
