using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ITwinAuth.Emulator;

/// <summary>
/// A TCP relay on loopback that delays every chunk by half the round trip in each direction, in front
/// of one listening port: a network with latency, where the TCP connect, the TLS handshake and each
/// request pay it as they would over a WAN. Bandwidth is not limited; chunks keep their order.
/// </summary>
public sealed class LatencyRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _target;
    private readonly TimeSpan _oneWay;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public LatencyRelay(int target, int roundTripMs, int port = 0)
    {
        _target = target;
        _oneWay = TimeSpan.FromMilliseconds(roundTripMs / 2.0);
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptLoop.RunAsync(_listener, RelayAsync, _stop.Token);
    }

    public int Port { get; }

    private async Task RelayAsync(Socket client)
    {
        using var _ = client;
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            // The SYN and its answer: one round trip before the first byte.
            await Task.Delay(_oneWay * 2, _stop.Token);
            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception) { }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var chunks = Channel.CreateUnbounded<(byte[] Data, long Due)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var delayTicks = (long)(_oneWay.TotalSeconds * Stopwatch.Frequency);
        var writing = Task.Run(async () =>
        {
            try
            {
                await foreach (var (data, due) in chunks.Reader.ReadAllAsync(_stop.Token))
                {
                    // A timer can fire a few milliseconds early on Linux (its clock is coarse): wait
                    // again until the chunk is due, so the relay never delivers before its latency.
                    long wait;
                    while ((wait = due - Stopwatch.GetTimestamp()) > 0)
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency + 0.001), _stop.Token);
                    if (data.Length == 0) { to.Shutdown(SocketShutdown.Send); return; }
                    await to.SendAsync(data, SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception) { to.Close(0); from.Close(0); }
        });
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
                chunks.Writer.TryWrite((buffer.AsSpan(0, read).ToArray(), Stopwatch.GetTimestamp() + delayTicks));
        }
        catch (Exception) { }
        // End of stream travels with the same delay, after the data before it.
        chunks.Writer.TryWrite((Array.Empty<byte>(), Stopwatch.GetTimestamp() + delayTicks));
        chunks.Writer.TryComplete();
        await writing;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
