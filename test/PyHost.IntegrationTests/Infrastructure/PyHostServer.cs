using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>A pyhost serving on a free 127.0.0.1 port, ready for requests once constructed.</summary>
public sealed class PyHostServer : IAsyncDisposable
{
    private PyHostServer(TestProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    public TestProcess Process { get; }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>The Host header value, and the authority of this server's URLs.</summary>
    public string Authority => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts `pyhost serve [APP] -b 127.0.0.1:PORT --python /usr/bin/python3 ARGS...` and waits for the ready line.
    /// The free port is found by binding port 0 and closing it, so another process may take it first: a start that
    /// fails with "address in use" is retried on a new port.
    /// </summary>
    public static async Task<PyHostServer> StartAsync(string? app, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort(IPAddress.Loopback);
            List<string> command = ["serve", .. app is null ? Array.Empty<string>() : [app], "-b", $"127.0.0.1:{port}", "--python", Repository.Python, .. arguments];
            var process = TestProcess.Start(command, workingDirectory);
            try
            {
                await process.WaitForOutputAsync(TestProcess.ListeningOn($"http://127.0.0.1:{port}"), TestProcess.StartTimeout);
                return new PyHostServer(process, port);
            }
            catch (Exception) when (LostItsPort(process, attempt))
            {
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>A start to try again on new ports: it lost a port found free to another process, and there are tries
    /// left.</summary>
    public static bool LostItsPort(TestProcess process, int attempt) =>
        attempt < 3 && process.HasExited && process.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);

    private static readonly HashSet<int> PortsHandedOut = new();

    /// <summary>A port the kernel found free, never one this test process was given before: the kernel may hand out
    /// a port again as soon as the socket that probed it closes, and a test that asks for two ports in a row then
    /// gets the same one twice (seen in CI: "listen[3] is the same address as listen[1]").</summary>
    public static int FreePort(IPAddress address)
    {
        // Probes that found a port handed out already stay bound until a new one is found, so the kernel cannot
        // offer that port again and again.
        var probes = new List<Socket>();
        try
        {
            while (true)
            {
                var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                probes.Add(probe);
                probe.Bind(new IPEndPoint(address, 0));
                int port = ((IPEndPoint)probe.LocalEndPoint!).Port;
                lock (PortsHandedOut)
                {
                    if (PortsHandedOut.Add(port))
                    {
                        return port;
                    }
                }
            }
        }
        finally
        {
            probes.ForEach(probe => probe.Dispose());
        }
    }

    public Task<RawHttpConnection> ConnectAsync() => RawHttpConnection.OpenAsync(EndPoint);

    /// <summary>A connection from another loopback address (127.0.0.2...): a client that is not a trusted proxy.</summary>
    public Task<RawHttpConnection> ConnectFromAsync(IPAddress localAddress) => RawHttpConnection.OpenAsync(EndPoint, localAddress);

    /// <summary>A request as bytes on the wire: request line, Host, the given header lines, then the body.</summary>
    public string Request(string method, string target, IEnumerable<string>? headers = null, string body = "")
    {
        var text = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {Authority}\r\n");
        foreach (var header in headers ?? [])
        {
            text.Append(header).Append("\r\n");
        }
        if (body.Length > 0)
        {
            text.Append($"Content-Length: {Encoding.Latin1.GetByteCount(body)}\r\n");
        }
        return text.Append("\r\n").Append(body).ToString();
    }

    /// <summary>Sends one request on a new connection and reads its response.</summary>
    public async Task<RawHttpResponse> SendAsync(string request, bool bodyAllowed = true)
    {
        await using var connection = await ConnectAsync();
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync(bodyAllowed);
    }

    public Task<RawHttpResponse> GetAsync(string target, params string[] headers) => SendAsync(Request("GET", target, headers));

    public Task<RawHttpResponse> PostAsync(string target, string body, params string[] headers) =>
        SendAsync(Request("POST", target, headers, body));

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
