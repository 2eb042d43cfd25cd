using System.IO.Compression;
using System.Text;

namespace ITwinAuth.Emulator;

/// <summary>
/// Answers a client as a hostile server would: bodies without end or far over any sane size, a
/// decompression bomb, a Content-Encoding that lies, a connection dropped after the request was read.
/// Each stops by itself: when the client goes away, or after a bounded size and time.
/// </summary>
public static class HostileResponses
{
    private const int ChunkSize = 64 * 1024;
    private static readonly TimeSpan LongestAnswer = TimeSpan.FromSeconds(60);
    private static readonly long EndlessCap = 64L << 30;
    private static readonly Lazy<byte[]> BombMember = new(MakeBombMember);
    private const long BombMemberSize = 64L << 20;

    public static async Task SendAsync(HttpContext context, FaultRule rule)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        bounded.CancelAfter(LongestAnswer);
        var cancel = bounded.Token;
        var response = context.Response;
        try
        {
            if (rule.Action == "abort")
            {
                // Read the request, then close the connection without an answer (FIN, not RST): the
                // case in which an HTTP client may send a request without content again.
                await context.Request.Body.CopyToAsync(Stream.Null, cancel);
                context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket?.Shutdown(System.Net.Sockets.SocketShutdown.Both);
                context.Abort();
                return;
            }

            response.StatusCode = rule.Status is >= 200 and < 600 ? rule.Status : 200;
            response.ContentType = rule.ContentType ?? "application/json";
            switch (rule.Action)
            {
                case "endless":
                    await FillAsync(response, rule.Body, EndlessCap, cancel);
                    break;
                case "oversized":
                    response.ContentLength = rule.Bytes;
                    await FillAsync(response, rule.Body, rule.Bytes, cancel);
                    break;
                case "flood":
                    await FillAsync(response, rule.Body, rule.Bytes, cancel);
                    break;
                case "gzip-bomb":
                    response.Headers.ContentEncoding = "gzip";
                    var member = BombMember.Value;
                    for (long sent = 0; sent < Math.Max(rule.Bytes, BombMemberSize); sent += BombMemberSize)
                        await response.Body.WriteAsync(member, cancel);
                    break;
                case "bad-encoding":
                    response.Headers.ContentEncoding = rule.Encoding;
                    var garbage = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("this is not compressed data; ", 100)));
                    response.ContentLength = garbage.Length;
                    await response.Body.WriteAsync(garbage, cancel);
                    break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client stopped reading, or the answer ran out of time: both are the point.
        }
        if (bounded.IsCancellationRequested) context.Abort();
    }

    /// <summary>The prefix (for example the start of an error body), then filler up to the size.</summary>
    private static async Task FillAsync(HttpResponse response, string? prefix, long size, CancellationToken cancel)
    {
        var head = Encoding.UTF8.GetBytes(prefix ?? "[");
        var chunk = Encoding.ASCII.GetBytes(new string('7', ChunkSize));
        long sent = 0;
        var first = head.AsMemory(0, (int)Math.Min(head.Length, size));
        await response.Body.WriteAsync(first, cancel);
        sent += first.Length;
        while (sent < size)
        {
            var count = (int)Math.Min(chunk.Length, size - sent);
            await response.Body.WriteAsync(chunk.AsMemory(0, count), cancel);
            sent += count;
        }
    }

    /// <summary>64 MiB of spaces, gzipped to about 64 KiB; gzip members may follow each other.</summary>
    private static byte[] MakeBombMember()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var spaces = new byte[1 << 20];
            Array.Fill(spaces, (byte)' ');
            for (var i = 0; i < BombMemberSize / spaces.Length; i++) gzip.Write(spaces);
        }
        return output.ToArray();
    }
}
