using System.Net;
using System.Net.Http;

using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>
/// A front server (nginx, Apache, lighttpd) and the pyhost behind it, shared by one test class. Each protocol has a
/// port of its own on the front, with the same mounts: "/" (the root), "/app" (SCRIPT_NAME /app), "/live" (no
/// response buffering), "/unix" (over PyHost's Unix socket); one TLS port mounts each protocol at "/uwsgi",
/// "/scgi", "/fastcgi".
/// </summary>
public abstract class GatewayFixture : IAsyncLifetime
{
    private GatewayPyHost? _pyHost;
    private FrontServer? _front;

    protected GatewayFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("pyhost-gateway-").FullName;
        // The front servers' workers (Apache's www-data) read their configuration and certificate from here.
        File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
        TestDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "app")).FullName;
        SocketDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "sockets")).FullName;
        File.SetUnixFileMode(SocketDirectory, (UnixFileMode)0b111_101_101);
        Client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        })
        { Timeout = TimeSpan.FromSeconds(60) };
    }

    public abstract string Name { get; }

    public abstract IReadOnlyList<GatewayProtocol> Protocols { get; }

    /// <summary>Whether the front keeps connections to PyHost open (nginx's FastCGI keep-alive upstream).</summary>
    protected virtual bool KeepAliveListener => false;

    public string Directory { get; }

    /// <summary>$PYHOST_TEST_DIR of the app: where close() calls are recorded.</summary>
    public string TestDirectory { get; }

    public string SocketDirectory { get; }

    public HttpClient Client { get; }

    public GatewayPyHost PyHost => _pyHost ?? throw new InvalidOperationException("not started");

    public FrontServer Front => _front ?? throw new InvalidOperationException("not started");

    public Dictionary<GatewayProtocol, int> FrontPorts { get; } = [];

    public int TlsPort { get; private set; }

    /// <summary>The URL of <paramref name="pathAndQuery"/> on the front's port for <paramref name="protocol"/>.</summary>
    public Uri Url(GatewayProtocol protocol, string pathAndQuery) => new($"http://127.0.0.1:{FrontPorts[protocol]}{pathAndQuery}");

    public Uri TlsUrl(GatewayProtocol protocol, string pathAndQuery) => new($"https://127.0.0.1:{TlsPort}/{protocol.Scheme()}{pathAndQuery}");

    /// <summary>Options for pyhost besides the binds.</summary>
    protected virtual IEnumerable<string> PyHostOptions => ["--max-request-body", "300m"];

    protected abstract Task<FrontServer> StartFrontAsync();

    public async Task InitializeAsync()
    {
        _pyHost = await GatewayPyHost.StartAsync(SocketDirectory, TestDirectory, Protocols, KeepAliveListener, PyHostOptions);
        for (int attempt = 1; ; attempt++)
        {
            foreach (GatewayProtocol protocol in Protocols)
            {
                FrontPorts[protocol] = PyHostServer.FreePort(IPAddress.Loopback);
            }
            TlsPort = PyHostServer.FreePort(IPAddress.Loopback);
            try
            {
                _front = await StartFrontAsync();
                return;
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                // Another process took a free port first: try new ones.
            }
        }
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_front is not null)
        {
            await _front.DisposeAsync();
        }
        if (_pyHost is not null)
        {
            await _pyHost.DisposeAsync();
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    protected string WriteConfig(string name, string text)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    protected IEnumerable<int> AllFrontPorts => FrontPorts.Values.Append(TlsPort);
}
