using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>
/// Debian's nginx with a configuration of the test's own, on a free 127.0.0.1 port, in its own temp directory
/// (<c>-p</c>, <c>-e</c>: nothing of the system's nginx is used or touched). Stopped by its pid with SIGQUIT, then
/// SIGKILL as a last resort.
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly TestProcess _process;

    private Nginx(TestProcess process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public const string Executable = "/usr/sbin/nginx";

    public int Port { get; }

    public string Directory { get; }

    public string Authority => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts nginx with <paramref name="serverBlock"/> inside <c>server { listen ...; }</c>. The workers run as root
    /// (<c>user root</c>) so that they can read the tests' private temp directories.
    /// </summary>
    public static async Task<Nginx> StartAsync(string serverBlock)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-nginx-").FullName;
        for (int attempt = 1; ; attempt++)
        {
            int port = PyHostServer.FreePort(IPAddress.Loopback);
            string config = Path.Combine(directory, "nginx.conf");
            File.WriteAllText(config, $$"""
                user root;
                worker_processes 1;
                daemon off;
                pid {{directory}}/nginx.pid;
                error_log {{directory}}/error.log warn;
                events { worker_connections 256; }
                http {
                    access_log off;
                    sendfile on;
                    default_type application/octet-stream;
                    types {
                        text/html html; text/css css; text/javascript js; application/json json; image/svg+xml svg;
                        image/png png; text/plain txt; font/woff2 woff2;
                    }
                    client_body_temp_path {{directory}}/client_body;
                    proxy_temp_path {{directory}}/proxy;
                    fastcgi_temp_path {{directory}}/fastcgi;
                    uwsgi_temp_path {{directory}}/uwsgi;
                    scgi_temp_path {{directory}}/scgi;
                    server {
                        listen 127.0.0.1:{{port}};
                {{serverBlock}}
                    }
                }
                """);
            TestProcess process = TestProcess.Start(Executable, ["-p", directory, "-e", Path.Combine(directory, "error.log"), "-c", config], directory);
            if (await AcceptsAsync(port, process))
            {
                return new Nginx(process, port, directory);
            }
            string errors = File.Exists(Path.Combine(directory, "error.log")) ? File.ReadAllText(Path.Combine(directory, "error.log")) : "";
            await process.DisposeAsync();
            if (attempt >= 3 || !errors.Contains("in use", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"nginx did not start:\n{errors}\n{process.Describe()}");
            }
        }
    }

    public Task<RawHttpConnection> ConnectAsync() => RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, Port));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Posix.SendSignal(_process.Id, 3);   // SIGQUIT: nginx's graceful stop
        }
        await _process.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static async Task<bool> AcceptsAsync(int port, TestProcess process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && !process.HasExited)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        return false;
    }
}
