using System.Net;
using System.Net.Sockets;
using System.Text;
using ITwinAuth.Emulator;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>
/// A request that is not idempotent reaches the server once, even when the server drops a pooled
/// connection right after reading it: the case where .NET's handler re-sends a request that has no
/// content. A raw TCP server counts what arrives; a control request built without the module's
/// empty body shows the server can see a re-send.
/// </summary>
public sealed class ResendTests
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    [Fact]
    public async Task A_bodyless_POST_is_delivered_once_where_a_plain_one_is_delivered_again_by_the_handler()
    {
        using var server = new DroppingServer();
        var uri = new Uri($"http://127.0.0.1:{server.Port}/x");

        // The control: a plain bodyless POST on a pooled connection, straight through a handler like the context's.
        using var plainClient = new HttpClient(HttpTransport.CreateHandler());
        using (var warm = await plainClient.GetAsync(uri)) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        using (var plain = new HttpRequestMessage(HttpMethod.Post, uri))
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => plainClient.SendAsync(plain));
        var plainDeliveries = server.PostsReceived;
        Assert.True(plainDeliveries > 1, $"the control was delivered {plainDeliveries} time(s): the server must be able to see a re-send");

        // The module's POST, on a pooled connection too.
        await Warm(uri);
        var call = new HttpCall(HttpMethod.Post, uri) { Retry = new RetryOptions { MaximumRetryCount = 3 } };
        var ex = await Assert.ThrowsAsync<ITwinAuthException>(() => Context.Pipeline.SendAsync(call, NullLogSink.Instance, default));
        Assert.Equal(ITwinErrorIds.ApiUnreachable, ex.ErrorId);
        Assert.Equal(plainDeliveries + 1, server.PostsReceived); // once (and no retry of ours: POST is not idempotent)
    }

    /// <summary>Opens a pooled connection of the context's own transport.</summary>
    private async Task Warm(Uri uri)
    {
        var response = await Context.Pipeline.SendAsync(new HttpCall(HttpMethod.Get, uri), NullLogSink.Instance, default);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Answers GETs (keep-alive); reads a POST and closes the connection without a word.</summary>
    private sealed class DroppingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
        private int _posts;

        public DroppingServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AcceptLoop.RunAsync(_listener, ServeAsync, _stop.Token);
        }

        public int Port { get; }
        public int PostsReceived => Volatile.Read(ref _posts);

        private async Task ServeAsync(Socket socket)
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            var buffer = new byte[8192];
            try
            {
                while (true)
                {
                    var head = new StringBuilder();
                    while (!head.ToString().Contains("\r\n\r\n"))
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0) return;
                        head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }
                    if (head.ToString().StartsWith("POST", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref _posts);
                        socket.Shutdown(SocketShutdown.Both); // close without an answer
                        socket.Close();
                        return;
                    }
                    var ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
                    await stream.WriteAsync(ok, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException) { }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
