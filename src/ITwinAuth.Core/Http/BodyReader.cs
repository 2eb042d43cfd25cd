using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Reads a response body within its limit, counted after decompression, so no server can make the
/// process hold more than the limit; or streams it to -OutFile, with no limit, through a partial file
/// that replaces the target only when the whole body has arrived.
/// </summary>
internal static class BodyReader
{
    private const int BufferSize = 81920;

    /// <summary>Reads the body of the message's final response, within the attempt's time.</summary>
    public static async Task<HttpResult> ReadAsync(HttpMessage message)
    {
        var (call, hop, response) = (message.Call, message.Hop, message.Response!);
        var cancellationToken = message.AttemptToken;
        byte[] body;
        if (hop.Method == HttpMethod.Head)
            body = Array.Empty<byte>();
        else if (response.IsSuccessStatusCode && call.OutFile is { } path)
            body = await StreamToFileAsync(hop, response, path, cancellationToken).ConfigureAwait(false);
        else
            body = await BufferAsync(call, hop, response, cancellationToken).ConfigureAwait(false);

        // A success asks for no wait: its Retry-After (if any) is not read.
        var retryAfter = response.IsSuccessStatusCode ? null : RetryAfterHeader.From(response, message.Clock).Delay;
        return new HttpResult(hop.Method, hop.Uri, response, ServerText.Line(response.ReasonPhrase, 100), body,
            call.CorrelationId, retryAfter);
    }

    private static async Task<byte[]> BufferAsync(HttpCall call, Hop hop, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        RequireDecoded(hop, response);
        // No byte array holds more than BodyBuffer.MaximumArray, whatever -MaximumResponseSize allows.
        var limit = Math.Min(call.MaximumBodyBytes, BodyBuffer.MaximumArray);
        var declared = response.Content.Headers.ContentLength;
        if (declared > limit)
            throw TooLarge(call, hop, limit, $"it declared {Size(declared.Value)}");
        var buffer = new BodyBuffer(declared ?? 0, limit);
        await PumpAsync(hop, response, (chunk, read) =>
        {
            if (buffer.Length + read > limit)
                throw TooLarge(call, hop, limit, "it went on past that");
            buffer.Write(chunk, read);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>
    /// The body in memory. Sized by the declared length when there is one, so a body that keeps its
    /// word ends in one array of its size, returned without a copy. The declared length is only a
    /// hint: before its bytes arrive it is taken at its word up to <see cref="TrustedDeclaredLength"/>
    /// (a server that declares the limit and sends a few bytes must not make every request of a fan-out
    /// allocate the limit), the array then grows by doubling, never past the declared length while the
    /// body keeps to it, and the limit, checked before every write, is what bounds it.
    /// </summary>
    private sealed class BodyBuffer
    {
        /// <summary>The most bytes one array holds (.NET's Array.MaxLength for bytes, which netstandard2.0 lacks).</summary>
        public const int MaximumArray = 0x7FFFFFC7;

        /// <summary>The most a declared length allocates before any of its bytes arrived.</summary>
        private const int TrustedDeclaredLength = 1 << 20;

        private readonly long _limit;
        private readonly long _declared;
        private byte[] _bytes;

        public BodyBuffer(long declared, long limit)
        {
            _limit = Math.Min(limit, MaximumArray);
            _declared = declared;
            _bytes = declared > 0 ? new byte[Math.Min(declared, TrustedDeclaredLength)] : Array.Empty<byte>();
        }

        public long Length { get; private set; }

        public void Write(byte[] chunk, int count)
        {
            var needed = Length + count;
            if (needed > _bytes.Length)
            {
                var size = Math.Max(needed, 2L * _bytes.Length);
                if (needed <= _declared) size = Math.Min(size, _declared);
                Array.Resize(ref _bytes, (int)Math.Min(size, _limit));
            }
            Buffer.BlockCopy(chunk, 0, _bytes, (int)Length, count);
            Length = needed;
        }

        public byte[] ToArray()
        {
            if (Length != _bytes.Length) Array.Resize(ref _bytes, (int)Length);
            return _bytes;
        }
    }

    /// <summary>Before anything is sent: a file error is the caller's, found without a request.</summary>
    public static void CheckOutFile(string path, string target)
    {
        try
        {
            if (Directory.Exists(path))
                throw OutFileFailed(path, target, "it is a folder");
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
                throw OutFileFailed(path, target, $"the folder '{folder}' does not exist");
            if (File.Exists(path))
                using (new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) { }
            // The body goes to a partial file in the same folder first: that must be possible too.
            var probe = PartialPathFor(path);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or System.Security.SecurityException)
        {
            throw OutFileFailed(path, target, ex.Message, ex);
        }
    }

    private static async Task<byte[]> StreamToFileAsync(Hop hop, HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        var target = hop.Describe();
        var partial = PartialPathFor(path);
        FileStream file;
        try
        {
            file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            throw OutFileFailed(path, target, ex.Message, ex);
        }

        var complete = false;
        try
        {
            using (file)
            {
                await PumpAsync(hop, response, async (chunk, read) =>
                {
                    try
                    {
                        await file.WriteAsync(chunk, 0, read, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        throw OutFileFailed(path, target, ex.Message, ex);
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                if (File.Exists(path)) File.Replace(partial, path, null);
                else File.Move(partial, path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw OutFileFailed(path, target, ex.Message, ex);
            }
            complete = true;
            return Array.Empty<byte>();
        }
        finally
        {
            if (!complete) TryDelete(partial);
        }
    }

    /// <summary>
    /// The handler removes the Content-Encoding it decoded; one left over is one it cannot decode
    /// (brotli on Windows PowerShell, or anything the module never asked for): refused, not read as text.
    /// </summary>
    private static void RequireDecoded(Hop hop, HttpResponseMessage response)
    {
        var left = response.Content.Headers.ContentEncoding.Where(e => !string.Equals(e, "identity", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (left.Length > 0)
            throw new ITwinAuthException(ITwinErrorIds.ResponseDecodingFailed, ITwinErrorCategory.InvalidData,
                $"{hop.Describe()} answered with a body encoded as '{Sentence.Excerpt(string.Join(", ", left), 60)}', which this edition of " +
                "ITwinAuth does not decode and did not ask for.", hop.Describe());
    }

    /// <summary>Reads the body chunk by chunk into <paramref name="write"/>: the one read loop, whether
    /// the body goes to memory or to a file. The chunk is rented, not allocated per call. Cancelling
    /// disposes the stream, so a stalled read ends.</summary>
    private static async Task PumpAsync(Hop hop, HttpResponseMessage response, Func<byte[], int, Task> write,
        CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        var chunk = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using (cancellationToken.Register(stream.Dispose))
            {
                int read;
                while ((read = await ReadChunkAsync(stream, chunk, hop, cancellationToken).ConfigureAwait(false)) > 0)
                    await write(chunk, read).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>One read from the network. A body the server encoded badly (gzip, brotli) is the
    /// server's fault and will not improve on a retry.</summary>
    private static async Task<int> ReadChunkAsync(Stream stream, byte[] chunk, Hop hop, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAsync(chunk, 0, Math.Min(chunk.Length, BufferSize), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException || (ex is InvalidOperationException && !cancellationToken.IsCancellationRequested))
        {
            throw new ITwinAuthException(ITwinErrorIds.ResponseDecodingFailed, ITwinErrorCategory.InvalidData,
                $"{hop.Describe()} answered with a body that could not be decoded ({Sentence.Trim(ex.Message)}); " +
                "the server's Content-Encoding does not match its body.", hop.Describe(), ex);
        }
    }

    private static string PartialPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".",
            "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".partial");

    private static ITwinAuthException TooLarge(HttpCall call, Hop hop, long limit, string how) =>
        new(ITwinErrorIds.ResponseTooLarge, ITwinErrorCategory.LimitsExceeded,
            $"{hop.Describe()} answered with a body over the {Size(limit)} limit ({how}), so ITwinAuth stopped reading it. " +
            (call.Kind == CallKind.Identity
                ? "An identity service's answers are a few KiB: check -Authority."
                : "Raise the limit with -MaximumResponseSize, or stream the body to disk with -OutFile."),
            hop.Describe());

    private static ITwinAuthException OutFileFailed(string path, string target, string why, Exception? inner = null) =>
        new(ITwinErrorIds.OutFileFailed, ITwinErrorCategory.WriteError,
            $"-OutFile '{path}' cannot be written: {Sentence.Trim(why)}. Give a file path in an existing folder that you can write to.",
            target, inner);

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.#} KiB",
        _ => $"{bytes} bytes",
    };

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
