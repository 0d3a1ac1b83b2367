using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>A request as <see cref="TestBackend"/> read it.</summary>
public sealed record BackendRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A small HTTP/1.1 server in the test process, for a proxy test that needs a backend it controls: one that holds its
/// requests until the test lets them go, fails every request, or counts what it has written. Connections are kept
/// alive; a request body must come with a Content-Length (what the balancer sends for the tests' requests; anything
/// else is answered 501, so a test sees it). Each request is handed to the handler with the connection's stream, to
/// write the whole answer on (<see cref="WriteAsync"/> for a short one).
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<BackendRequest, Stream, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Socket Socket, Task Served)> _connections = [];
    private readonly Task _accepting;
    private int _requests;

    private TestBackend(Func<BackendRequest, Stream, CancellationToken, Task> handler)
    {
        _handler = handler;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>The address a pyhost.toml names it by.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>How many requests reached the handler so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Serves every request with <paramref name="handler"/>; its token fires when the backend is disposed.</summary>
    public static TestBackend Start(Func<BackendRequest, Stream, CancellationToken, Task> handler) => new(handler);

    /// <summary>Answers every request with this status and text.</summary>
    public static TestBackend Answering(int status, string body) => Start((_, stream, cancel) => WriteAsync(stream, status, body, cancel));

    /// <summary>A whole answer with a Content-Length, the connection kept alive.</summary>
    public static async Task WriteAsync(Stream stream, int status, string body, CancellationToken cancel)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        string head = $"HTTP/1.1 {status} {(status < 400 ? "OK" : "Failed")}\r\nContent-Type: text/plain\r\nContent-Length: {bytes.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(bytes).ToArray(), cancel);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_connections)
            {
                _connections.Add((socket, Task.Run(() => ServeAsync(socket))));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var buffered = new List<byte>();
        byte[] buffer = new byte[64 << 10];
        try
        {
            while (true)
            {
                int headEnd;
                while ((headEnd = IndexOfHeadEnd(buffered)) < 0)
                {
                    int read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }
                    buffered.AddRange(buffer.AsSpan(0, read));
                }
                string[] lines = Encoding.Latin1.GetString(buffered.GetRange(0, headEnd).ToArray()).Split("\r\n");
                buffered.RemoveRange(0, headEnd + 4);
                string[] requestLine = lines[0].Split(' ');
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (string line in lines.Skip(1))
                {
                    int colon = line.IndexOf(':');
                    headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                }
                if (headers.ContainsKey("Transfer-Encoding"))
                {
                    await WriteAsync(stream, 501, "this test backend reads bodies with a Content-Length only", _stop.Token);
                    return;
                }
                int length = headers.TryGetValue("Content-Length", out string? declared) ? int.Parse(declared, CultureInfo.InvariantCulture) : 0;
                while (buffered.Count < length)
                {
                    int read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }
                    buffered.AddRange(buffer.AsSpan(0, read));
                }
                byte[] body = buffered.GetRange(0, length).ToArray();
                buffered.RemoveRange(0, length);
                Interlocked.Increment(ref _requests);
                await _handler(new BackendRequest(requestLine[0], requestLine[1], headers, body), stream, _stop.Token);
            }
        }
        catch (Exception error) when (error is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The balancer closed the connection, or the test is over.
        }
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (int i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        List<(Socket Socket, Task Served)> connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        connections.ForEach(connection => connection.Socket.Dispose());
        await Task.WhenAll(connections.Select(connection => connection.Served)).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
