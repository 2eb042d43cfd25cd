using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ITwinAuth.Emulator;

/// <summary>One request as the forward proxy saw it: CONNECT host:port, or METHOD absolute-uri.</summary>
public sealed record ProxiedRequest(string Method, string Target, bool HadAuthorization, bool ProxyAuthorized = false);

/// <summary>
/// A counting HTTP forward proxy on loopback, as a corporate proxy stands between a script and the
/// platform: absolute-form requests (http://) are forwarded one per connection, CONNECT (https://)
/// is tunnelled. It forwards only to loopback addresses, and stops with the emulator.
/// </summary>
public sealed class ForwardProxy : IAsyncDisposable
{
    private const int MaxHead = 64 * 1024;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private readonly string? _expectedAuthorization;

    /// <param name="credential">"user:password" to ask for with 407 (Basic) before forwarding; none when null.</param>
    public ForwardProxy(int port, string? credential = null)
    {
        if (credential is not null)
        {
            _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credential));
            Password = credential[(credential.IndexOf(':') + 1)..];
        }
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Uri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptLoop.RunAsync(_listener, ServeAsync, _stop.Token);
    }

    public Uri Uri { get; }

    /// <summary>The password the proxy asks for, so the hosts behind it can watch for it.</summary>
    public string? Password { get; }
    public ConcurrentQueue<ProxiedRequest> Requests { get; } = new();

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        var cancel = timeout.Token;
        try
        {
            var (head, rest) = await ReadHeadAsync(client, cancel);
            if (head is null) return;
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            if (parts.Length != 3) { await AnswerAsync(client, "400 Bad Request", cancel); return; }
            var (method, target) = (parts[0], parts[1]);
            var hadAuthorization = lines.Skip(1).Any(l => l.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase));
            var proxyAuthorization = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Proxy-Authorization:", StringComparison.OrdinalIgnoreCase))?
                .Substring("Proxy-Authorization:".Length).Trim();
            var authorized = _expectedAuthorization is not null && proxyAuthorization == _expectedAuthorization;
            Requests.Enqueue(new ProxiedRequest(method, target, hadAuthorization, authorized));
            if (_expectedAuthorization is not null && !authorized)
            {
                await client.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"itwin-emulator\"\r\n" +
                    "Content-Length: 0\r\nConnection: close\r\n\r\n"), SocketFlags.None, cancel);
                return;
            }

            string host;
            int port;
            if (method == "CONNECT")
            {
                var colon = target.LastIndexOf(':');
                host = target[..Math.Max(colon, 0)];
                port = colon > 0 && int.TryParse(target[(colon + 1)..], out var p) ? p : 443;
            }
            else if (Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme == "http")
            {
                host = uri.Host;
                port = uri.Port;
                // One request per connection: every request passes through the head parsed here.
                var kept = lines.Skip(1).Where(l => l.Length > 0 &&
                    !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase) &&
                    !l.StartsWith("Proxy-Connection:", StringComparison.OrdinalIgnoreCase) &&
                    !l.StartsWith("Proxy-Authorization:", StringComparison.OrdinalIgnoreCase) &&
                    !l.StartsWith("Keep-Alive:", StringComparison.OrdinalIgnoreCase));
                head = $"{method} {uri.PathAndQuery} {parts[2]}\r\n" + string.Join("\r\n", kept) + "\r\nConnection: close\r\n\r\n";
            }
            else { await AnswerAsync(client, "400 Bad Request", cancel); return; }

            if (!IPAddress.TryParse(host.Trim('[', ']'), out var address))
                address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : IPAddress.None;
            if (!IPAddress.IsLoopback(address)) { await AnswerAsync(client, "403 Forbidden", cancel); return; }

            using var server = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try { await server.ConnectAsync(address, port, cancel); }
            catch (SocketException) { await AnswerAsync(client, "502 Bad Gateway", cancel); return; }
            if (method == "CONNECT") await AnswerAsync(client, "200 Connection Established", cancel, close: false);
            else await server.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, cancel);
            if (rest.Length > 0) await server.SendAsync(rest, SocketFlags.None, cancel);
            await Task.WhenAll(PipeAsync(client, server, cancel), PipeAsync(server, client, cancel));
        }
        catch (Exception) { }
    }

    private static async Task PipeAsync(Socket from, Socket to, CancellationToken cancel)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, cancel)) > 0)
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancel);
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception) { }
    }

    /// <summary>The request head (up to the blank line) as text, and whatever came after it.</summary>
    private static async Task<(string? Head, byte[] Remainder)> ReadHeadAsync(Socket client, CancellationToken cancel)
    {
        var buffer = new byte[MaxHead];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await client.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, cancel);
            if (read == 0) return (null, Array.Empty<byte>());
            total += read;
            var end = buffer.AsSpan(0, total).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
                return (Encoding.ASCII.GetString(buffer, 0, end), buffer.AsSpan(end + 4, total - end - 4).ToArray());
        }
        return (null, Array.Empty<byte>());
    }

    private static async Task AnswerAsync(Socket client, string status, CancellationToken cancel, bool close = true)
    {
        var text = $"HTTP/1.1 {status}\r\n" + (close ? "Content-Length: 0\r\nConnection: close\r\n" : "") + "\r\n";
        await client.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None, cancel);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
