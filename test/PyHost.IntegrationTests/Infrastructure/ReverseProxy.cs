using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// Debian's nginx, HAProxy or Caddy in front of a pyhost, on a free 127.0.0.1 port, with its configuration, certificate and
/// logs in a temporary directory of its own; run in the foreground as this user, and stopped by DisposeAsync.
/// </summary>
public sealed class ReverseProxy : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private ReverseProxy(TestProcess process, int port, string directory, string? certificatePath)
    {
        Process = process;
        Port = port;
        Directory = directory;
        CertificatePath = certificatePath;
    }

    public TestProcess Process { get; }

    public int Port { get; }

    public string Directory { get; }

    /// <summary>The self-signed certificate nginx serves, made by openssl for this run; null without TLS.</summary>
    public string? CertificatePath { get; }

    public string Authority => $"127.0.0.1:{Port}";

    /// <summary>
    /// nginx terminating TLS with a certificate openssl makes now, passing to <paramref name="backendPort"/> what a
    /// Django deployment guide has it pass: the Host as the client sent it, X-Forwarded-For (appended) and
    /// X-Forwarded-Proto.
    /// </summary>
    public static async Task<ReverseProxy> StartNginxAsync(int backendPort)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-nginx-").FullName;
        string certificate = Path.Combine(directory, "cert.pem");
        string key = Path.Combine(directory, "key.pem");
        await RunAsync("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ], directory);
        int port = PyHostServer.FreePort(IPAddress.Loopback);
        string configuration = $$"""
            # One process in the foreground, as whoever runs the tests; everything it writes stays in {{directory}}.
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log info;
            events { worker_connections 64; }
            http {
                access_log {{directory}}/access.log;
                client_body_temp_path {{directory}}/client_body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                server {
                    listen 127.0.0.1:{{port}} ssl;
                    ssl_certificate {{certificate}};
                    ssl_certificate_key {{key}};
                    location / {
                        proxy_pass http://127.0.0.1:{{backendPort}};
                        proxy_http_version 1.1;
                        proxy_set_header Host $http_host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                    }
                }
            }
            """;
        string configurationPath = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configurationPath, configuration);
        var process = TestProcess.Start(Executable("nginx"), ["-p", directory + "/", "-c", configurationPath, "-e", Path.Combine(directory, "error.log")], directory);
        return await WaitUntilListeningAsync(new ReverseProxy(process, port, directory, certificate));
    }

    /// <summary>HAProxy in TCP mode putting a PROXY header (<c>send-proxy</c> for v1, <c>send-proxy-v2</c>) before each connection.</summary>
    public static Task<ReverseProxy> StartHAProxyAsync(int backendPort, string sendProxy) => StartHAProxyAsync(port => $"""
        global
            maxconn 64
        defaults
            mode tcp
            timeout connect 5s
            timeout client 30s
            timeout server 30s
        frontend clients
            bind 127.0.0.1:{port}
            default_backend pyhost
        backend pyhost
            server app 127.0.0.1:{backendPort} {sendProxy}
        """);

    /// <summary>HAProxy with the haproxy.cfg <paramref name="configuration"/> writes for the free port its frontend is to
    /// bind on 127.0.0.1; in the foreground, its messages (a server going down or up) on stderr.</summary>
    public static async Task<ReverseProxy> StartHAProxyAsync(Func<int, string> configuration)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-haproxy-").FullName;
        int port = PyHostServer.FreePort(IPAddress.Loopback);
        string configurationPath = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(configurationPath, configuration(port) + "\n");
        var process = TestProcess.Start(Executable("haproxy"), ["-db", "-f", configurationPath], directory);
        return await WaitUntilListeningAsync(new ReverseProxy(process, port, directory, null));
    }

    /// <summary>
    /// Debian's Caddy (2.6) serving <paramref name="sites"/>, a Caddyfile's site blocks given the free port it listens
    /// on; no admin endpoint, no automatic HTTPS, its data and config directories in the temporary one.
    /// </summary>
    public static async Task<ReverseProxy> StartCaddyAsync(Func<int, string> sites)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-caddy-").FullName;
        int port = PyHostServer.FreePort(IPAddress.Loopback);
        string configurationPath = Path.Combine(directory, "Caddyfile");
        await File.WriteAllTextAsync(configurationPath, "{\n\tadmin off\n\tauto_https off\n}\n" + sites(port) + "\n");
        var process = TestProcess.Start(Executable("caddy"), ["run", "--config", configurationPath, "--adapter", "caddyfile"], directory,
            new Dictionary<string, string?> { ["HOME"] = directory, ["XDG_DATA_HOME"] = directory, ["XDG_CONFIG_HOME"] = directory });
        return await WaitUntilListeningAsync(new ReverseProxy(process, port, directory, null));
    }

    /// <summary>An HTTPS client of this proxy that trusts exactly its certificate and connects from <paramref name="localAddress"/>.</summary>
    public HttpClient HttpsClient(IPAddress localAddress, bool followRedirects = false, System.Net.CookieContainer? cookies = null)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath ?? throw new InvalidOperationException("This proxy has no TLS.")));
        string thumbprint = certificate.Thumbprint;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = followRedirects,
            UseCookies = cookies is not null,
            CookieContainer = cookies ?? new System.Net.CookieContainer(),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == thumbprint,
            },
            ConnectCallback = ClientLoad.ConnectFrom(localAddress),
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://{Authority}"), Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>The proxy's own error log, for failure messages.</summary>
    public string ErrorLog => File.Exists(Path.Combine(Directory, "error.log")) ? File.ReadAllText(Path.Combine(Directory, "error.log")) : "";

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Process.DisposeAsync();
        }
        finally
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static async Task<ReverseProxy> WaitUntilListeningAsync(ReverseProxy proxy)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(IPAddress.Loopback, proxy.Port);
                return proxy;
            }
            catch (SocketException) when (clock.Elapsed < StartTimeout && !proxy.Process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                string describe = proxy.Process.Describe() + "\n" + proxy.ErrorLog;
                await proxy.DisposeAsync();
                throw new InvalidOperationException($"The proxy did not listen on {proxy.Authority} within {StartTimeout.TotalSeconds} s.\n{describe}");
            }
        }
    }

    private static string Executable(string name)
    {
        foreach (string directory in new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" })
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException($"{name} is not installed; `make test` installs it (scripts/install-deps.sh test), or: apt-get install {name}");
    }

    private static async Task RunAsync(string command, IEnumerable<string> arguments, string directory)
    {
        await using var process = TestProcess.Start(Executable(command), arguments, directory);
        int status = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        if (status != 0)
        {
            throw new InvalidOperationException($"{process.CommandLine} exited with {status}:\n{process.Output}");
        }
    }
}
