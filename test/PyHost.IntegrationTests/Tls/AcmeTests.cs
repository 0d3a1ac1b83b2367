using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Tls;

/// <summary>
/// Automatic HTTPS against Debian's pebble on loopback: pebble resolves app.pyhost.test through the test's DNS
/// server to 127.0.0.1 and validates on PyHost's listeners (its httpPort and tlsPort are PyHost's ports).
/// </summary>
public sealed class AcmeTests : IAsyncLifetime
{
    private const string Name = "app.pyhost.test";

    private readonly TemporaryDirectory _files = new();
    private readonly TestDnsServer _dns = new();
    private readonly int[] _ports = ConfiguredServer.FreePorts(2);   // plain, TLS
    private Pebble? _pebble;

    private int HttpsPort => _ports[1];

    private string StateDirectory => _files.File("state");

    public Task InitializeAsync()
    {
        _dns.Set(Name, IPAddress.Loopback);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_pebble is not null)
        {
            await _pebble.DisposeAsync();
        }
        _dns.Dispose();
        _files.Dispose();
    }

    private async Task<Pebble> StartPebbleAsync(int certificateSeconds = 0) =>
        _pebble = await Pebble.StartAsync(_files, _dns, _ports[0], _ports[1], certificateSeconds);

    private string Config(string challenges, bool plainListener = true) => $$"""
        [server]
        state_dir = "{{StateDirectory}}"

        [acme]
        directory = "{{_pebble!.DirectoryUrl}}"
        ca_root = "{{_pebble.ListenerCaFile}}"
        email = "admin@pyhost.test"
        challenges = [{{challenges}}]

        {{(plainListener ? "[[listen]]\naddress = \"127.0.0.1:{port0}\"\nhttps_redirect = true\n" : "")}}
        [[listen]]
        address = "127.0.0.1:{port1}"
        tls = "auto"

        [[site]]
        hosts = ["{{Name}}"]
          [[site.route]]
          app = "main"

        [app.main]
        module = "pep3333:app"
        """;

    private static readonly Regex Obtained = new(@"\[INFO\] Certificate for app\.pyhost\.test from https://127\.0\.0\.1:\d+/dir: valid until");

    private async Task<ConfiguredServer> StartPyHostAsync(string config) =>
        await ConfiguredServer.StartAsync(_files, config, 2, ports: _ports);

    [Fact]
    public async Task Http01IssuesACertificateThatCurlVerifiesWithPebblesRootAndARestartReusesIt()
    {
        Pebble pebble = await StartPebbleAsync();
        string root = _files.Write("pebble-root.pem", (await pebble.IssuingRootAsync()).ExportCertificatePem());
        await using (ConfiguredServer server = await StartPyHostAsync(Config("\"http-01\"")))
        {
            await server.Process.WaitForOutputAsync(Obtained, TimeSpan.FromSeconds(60));
            Assert.Contains("answering the http-01 challenge for app.pyhost.test", server.Process.Output);

            ToolResult result = await TlsServers.CurlAsync("--cacert", root, "--resolve", $"{Name}:{HttpsPort}:127.0.0.1",
                "-o", "/dev/null", "-w", "%{http_version} %{http_code}", $"https://{Name}:{HttpsPort}/echo");
            Assert.True(result.ExitCode == 0, result.All + server.Process.Describe());
            Assert.Equal("2 200", result.Output);
        }

        // The state directory: 0700 directories, 0600 keys.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(StateDirectory));
        foreach (string key in Directory.GetFiles(StateDirectory, "*.key", SearchOption.AllDirectories)
                     .Concat(Directory.GetFiles(StateDirectory, "key.pem", SearchOption.AllDirectories)))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
        Assert.NotEmpty(Directory.GetFiles(StateDirectory, "account.key", SearchOption.AllDirectories));

        await using ConfiguredServer again = await StartPyHostAsync(Config("\"http-01\""));
        await again.Process.WaitForOutputAsync(new Regex("Certificate for app.pyhost.test from the state directory"), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("answering the", again.Process.Output);
    }

    [Fact]
    public async Task TlsAlpn01IssuesWithOnlyATlsListener()
    {
        Pebble pebble = await StartPebbleAsync();
        X509Certificate2 root = await pebble.IssuingRootAsync();
        await using ConfiguredServer server = await StartPyHostAsync(Config("\"tls-alpn-01\"", plainListener: false));
        await server.Process.WaitForOutputAsync(Obtained, TimeSpan.FromSeconds(60));
        Assert.Contains("answering the tls-alpn-01 challenge for app.pyhost.test", server.Process.Output);

        using var client = new TlsClient(HttpsPort, [root]);
        using HttpResponseMessage response = await client.GetAsync($"https://{Name}:{HttpsPort}/echo", HttpVersion.Version20);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(new Version(2, 0), response.Version);
    }

    [Fact]
    public async Task AShortLivedCertificateIsRenewedAndSwappedInWhileAnOpenConnectionKeepsWorking()
    {
        Pebble pebble = await StartPebbleAsync(certificateSeconds: 20);
        X509Certificate2 root = await pebble.IssuingRootAsync();
        await using ConfiguredServer server = await StartPyHostAsync(Config("\"http-01\", \"tls-alpn-01\""));
        await server.Process.WaitForOutputAsync(Obtained, TimeSpan.FromSeconds(60));
        int afterFirst = server.Process.LineCount;

        using var open = new TlsClient(HttpsPort, [root]);
        using (HttpResponseMessage first = await open.GetAsync($"https://{Name}:{HttpsPort}/echo"))
        {
            Assert.Equal(200, (int)first.StatusCode);
        }
        X509Certificate2 before = Assert.Single(open.Seen);

        // Renewal at two thirds of 20 s.
        await server.Process.WaitForOutputAsync(Obtained, TimeSpan.FromSeconds(60), afterFirst);
        using (HttpResponseMessage second = await open.GetAsync($"https://{Name}:{HttpsPort}/echo"))
        {
            Assert.Equal(200, (int)second.StatusCode);
        }
        Assert.Single(open.Seen);

        using var fresh = new TlsClient(HttpsPort, [root]);
        using (HttpResponseMessage renewed = await fresh.GetAsync($"https://{Name}:{HttpsPort}/echo"))
        {
            Assert.Equal(200, (int)renewed.StatusCode);
        }
        X509Certificate2 after = Assert.Single(fresh.Seen);
        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        Assert.True(after.NotAfter > before.NotAfter);
    }

    [Fact]
    public async Task AFailingChallengeLeavesTheOldCertificateInServiceWithAnErrorLine()
    {
        Pebble pebble = await StartPebbleAsync(certificateSeconds: 20);
        X509Certificate2 root = await pebble.IssuingRootAsync();
        await using ConfiguredServer server = await StartPyHostAsync(Config("\"http-01\""));
        await server.Process.WaitForOutputAsync(Obtained, TimeSpan.FromSeconds(60));
        int mark = server.Process.LineCount;
        using var client = new TlsClient(HttpsPort, [root]);
        using (HttpResponseMessage first = await client.GetAsync($"https://{Name}:{HttpsPort}/echo"))
        {
            Assert.Equal(200, (int)first.StatusCode);
        }

        // The name now points where nothing answers: the renewal's HTTP-01 validation fails.
        _dns.Set(Name, IPAddress.Parse("127.0.0.2"));
        await server.Process.WaitForOutputAsync(
            new Regex(@"\[ERROR\] Could not obtain a certificate for app\.pyhost\.test from .*: the CA could not validate app\.pyhost\.test by http-01: .*Still serving the certificate in place, valid until .*Next attempt in 60 s"),
            TimeSpan.FromSeconds(60), mark);

        using var fresh = new TlsClient(HttpsPort, [root]);
        using (HttpResponseMessage response = await fresh.GetAsync($"https://{Name}:{HttpsPort}/echo"))
        {
            Assert.Equal(200, (int)response.StatusCode);
        }
        Assert.Equal(Assert.Single(client.Seen).SerialNumber, Assert.Single(fresh.Seen).SerialNumber);
    }
}
