using System.Net;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>
/// One ASGI server serving an app from apps/ on a free 127.0.0.1 port: PyHost, or as the reference Debian's uvicorn
/// (0.17) or hypercorn (0.13). The conformance suite runs each rule against all three.
/// </summary>
public sealed class AsgiServer : IAsyncDisposable
{
    public const string PyHost = "pyhost";
    public const string Uvicorn = "uvicorn";
    public const string Hypercorn = "hypercorn";

    private AsgiServer(string name, TestProcess process, int port)
    {
        Name = name;
        Process = process;
        Port = port;
    }

    public string Name { get; }

    public TestProcess Process { get; }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public string Authority => $"127.0.0.1:{Port}";

    public string WebSocketUrl(string path) => $"ws://{Authority}{path}";

    /// <summary>
    /// Starts <paramref name="name"/> serving <paramref name="app"/> (MODULE:ATTR in apps/) with one worker process,
    /// so that what the app records in memory is what every request sees. <paramref name="webSocketMaxSize"/> is each
    /// server's own flag for the same limit; <paramref name="lifespan"/> (auto, on, off) is --lifespan of PyHost and
    /// uvicorn, which hypercorn does not have.
    /// </summary>
    public static async Task<AsgiServer> StartAsync(string name, string app, IReadOnlyDictionary<string, string?>? environment = null,
                                                    long webSocketMaxSize = 16 * 1024 * 1024, IEnumerable<string>? pyhostArguments = null,
                                                    string lifespan = "auto")
    {
        if (name == Hypercorn && lifespan != "auto")
        {
            throw new ArgumentException("hypercorn has no --lifespan", nameof(lifespan));
        }
        for (int attempt = 1; ; attempt++)
        {
            int port = PyHostServer.FreePort(IPAddress.Loopback);
            (string executable, List<string> arguments, Regex ready) = name switch
            {
                PyHost => (Repository.PyHostExecutable,
                    new List<string> { "serve", app, "-b", $"127.0.0.1:{port}", "--python", Repository.Python, "-w", "1", "--ws-max-size", webSocketMaxSize.ToString(), "--lifespan", lifespan }
                        .Concat(pyhostArguments ?? []).ToList(),
                    TestProcess.ListeningOn($"http://127.0.0.1:{port}")),
                Uvicorn => (Repository.Python,
                    new List<string> { "-m", "uvicorn", app, "--port", port.ToString(), "--ws-max-size", webSocketMaxSize.ToString(), "--lifespan", lifespan, "--log-level", "info" },
                    new Regex(@"Application startup complete|Uvicorn running on")),
                Hypercorn => (Repository.Python,
                    new List<string> { "-m", "hypercorn", app, "-b", $"127.0.0.1:{port}", "-c", HypercornConfig(webSocketMaxSize), "--log-level", "info" },
                    new Regex(@"Running on http://")),
                _ => throw new ArgumentException($"no ASGI server called {name}", nameof(name)),
            };
            var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>());
            TestProcess process = TestProcess.Start(executable, arguments, Repository.AppsDirectory, variables);
            try
            {
                await process.WaitForOutputAsync(ready, TestProcess.StartTimeout);
                if (name != PyHost)
                {
                    await WaitUntilListeningAsync(port);
                }
                return new AsgiServer(name, process, port);
            }
            catch (Exception) when (attempt < 3 && process.HasExited && process.Output.Contains("in use", StringComparison.OrdinalIgnoreCase))
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

    /// <summary>hypercorn takes its WebSocket size limit only from a config file.</summary>
    private static string HypercornConfig(long webSocketMaxSize)
    {
        string path = Path.Combine(Path.GetTempPath(), $"pyhost-hypercorn-{webSocketMaxSize}.toml");
        File.WriteAllText(path, $"websocket_max_message_size = {webSocketMaxSize}\n");
        return path;
    }

    private static async Task WaitUntilListeningAsync(int port)
    {
        for (int i = 0; i < 100; i++)
        {
            try
            {
                await using RawHttpConnection probe = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, port));
                return;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException)
            {
                await Task.Delay(100);
            }
        }
    }

    public Task<RawHttpConnection> ConnectAsync() => RawHttpConnection.OpenAsync(EndPoint);

    public string Request(string method, string target, IEnumerable<string>? headers = null, string body = "")
    {
        var text = new System.Text.StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {Authority}\r\n");
        foreach (var header in headers ?? [])
        {
            text.Append(header).Append("\r\n");
        }
        if (body.Length > 0)
        {
            text.Append($"Content-Length: {System.Text.Encoding.Latin1.GetByteCount(body)}\r\n");
        }
        return text.Append("\r\n").Append(body).ToString();
    }

    public async Task<RawHttpResponse> SendAsync(string request, bool bodyAllowed = true)
    {
        await using var connection = await ConnectAsync();
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync(bodyAllowed);
    }

    public Task<RawHttpResponse> GetAsync(string target, params string[] headers) => SendAsync(Request("GET", target, headers));

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
