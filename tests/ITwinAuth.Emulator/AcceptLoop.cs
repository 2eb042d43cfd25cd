using System.Net.Sockets;

namespace ITwinAuth.Emulator;

/// <summary>The accept loop of every raw loopback listener here (the forward proxy, the latency
/// relay, the tests' own servers): each connection goes to <c>serve</c>, not awaited, until
/// <c>stop</c> is cancelled or the listener is stopped.</summary>
public static class AcceptLoop
{
    public static async Task RunAsync(TcpListener listener, Func<Socket, Task> serve, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(stop); }
            catch (Exception) { return; }
            _ = serve(client);
        }
    }
}
