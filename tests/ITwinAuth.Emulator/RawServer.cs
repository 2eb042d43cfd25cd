using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ITwinAuth.Emulator;

/// <summary>
/// A loopback listener that answers every connection with the same bytes, whatever they are: what
/// Kestrel will not send (control characters in a header, a forged status line) or a proxy that
/// answers 407 to everything. It reads the request head (at most 64 KiB), writes the answer, and
/// closes the connection. Made at run time (POST /_emulator/raw), it stops with the emulator.
/// </summary>
public sealed class RawServer : IAsyncDisposable
{
    private const int MaxHead = 64 * 1024;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly byte[] _answer;
    private int _requests;

    public RawServer(byte[] answer)
    {
        _answer = answer;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Uri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptLoop.RunAsync(_listener, ServeAsync, _stop.Token);
    }

    public Uri Uri { get; }
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The first line and header names of each request (values left out), most recent last.</summary>
    public ConcurrentQueue<string> Heads { get; } = new();

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var buffer = new byte[MaxHead];
            var total = 0;
            while (total < buffer.Length)
            {
                var read = await client.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, timeout.Token);
                if (read == 0) return;
                total += read;
                if (buffer.AsSpan(0, total).IndexOf("\r\n\r\n"u8) >= 0) break;
            }
            Interlocked.Increment(ref _requests);
            var lines = Encoding.ASCII.GetString(buffer, 0, total).Split("\r\n");
            Heads.Enqueue(string.Join(" | ", lines.Take(1).Concat(lines.Skip(1).TakeWhile(l => l.Length > 0).Select(l => l.Split(':')[0]))));
            while (Heads.Count > 100 && Heads.TryDequeue(out var _)) { }
            await client.SendAsync(_answer, SocketFlags.None, timeout.Token);
            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
