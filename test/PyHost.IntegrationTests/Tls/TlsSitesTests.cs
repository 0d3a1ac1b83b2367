using Xunit;
using System.Security.Cryptography.X509Certificates;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Tls;

/// <summary>Sites with their own certificates (SNI), HSTS per site, and the one-line redirect listener, from a pyhost.toml.</summary>
public sealed class TlsSitesTests : IAsyncLifetime
{
    private const string Config = """
        [[listen]]
        address = "127.0.0.1:{port0}"
        tls = "files"
        certificate = "default.pem"
        key = "default.key"

        [[listen]]
        address = "127.0.0.1:{port1}"
        https_redirect = true

        [[listen]]
        address = "127.0.0.1:{port2}"

        [[site]]
        hosts = ["shop.test"]
        tls = { certificate = "shop.pem", key = "shop.key" }
        hsts = { max_age = "1d", include_subdomains = true }
          [[site.route]]
          app = "main"

        [[site]]
        hosts = ["*.blog.test"]
        tls = { certificate = "blog.pem", key = "blog.key" }
          [[site.route]]
          app = "main"

        [[site]]
        hosts = ["www.blog.test"]
        tls = { certificate = "www.pem", key = "www.key" }
        hsts = true
          [[site.route]]
          app = "main"

        [app.main]
        module = "pep3333:app"
        """;

    private readonly TemporaryDirectory _files = new();
    private readonly TestCa _root = TestCa.Create("Sites Root");
    private ConfiguredServer _server = null!;

    private int HttpsPort => _server.Ports[0];

    public async Task InitializeAsync()
    {
        Issue("default", ["default.test"], KeyFormat.RsaPkcs1);
        Issue("shop", ["shop.test"], KeyFormat.EcSec1);
        Issue("blog", ["*.blog.test"], KeyFormat.EcPkcs8);
        Issue("www", ["www.blog.test"], KeyFormat.RsaPkcs8);
        _files.Write("root.pem", _root.Pem);
        _server = await ConfiguredServer.StartAsync(_files, Config, 3);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _files.Dispose();
    }

    private void Issue(string name, string[] hosts, KeyFormat format)
    {
        var (_, certificatePem, keyPem) = _root.IssueServer(hosts, format, commonName: name);
        _files.Write(name + ".pem", certificatePem);
        _files.Write(name + ".key", keyPem);
    }

    [Theory]
    [InlineData("shop.test", "subject=CN = shop")]
    [InlineData("www.blog.test", "subject=CN = www")]          // the exact name beats the wildcard
    [InlineData("news.blog.test", "subject=CN = blog")]        // a wildcard
    [InlineData("a.b.blog.test", "subject=CN = blog")]         // any depth below, as sites are matched
    [InlineData("unknown.test", "subject=CN = default")]       // the listener's own certificate
    [InlineData("SHOP.TEST", "subject=CN = shop")]             // names have no case
    public async Task SniChoosesTheSitesCertificate(string serverName, string subject)
    {
        ToolResult result = await TlsServers.OpenSslClientAsync(HttpsPort, "-servername", serverName);
        Assert.Equal(subject, TlsServers.ServerSubject(result));
    }

    [Fact]
    public async Task WithoutSniTheListenerCertificateIsServed()
    {
        ToolResult result = await TlsServers.OpenSslClientAsync(HttpsPort, "-noservername");
        Assert.Equal("subject=CN = default", TlsServers.ServerSubject(result));
    }

    [Fact]
    public async Task CurlVerifiesEachSiteByName()
    {
        foreach (string host in new[] { "shop.test", "www.blog.test", "news.blog.test" })
        {
            ToolResult result = await TlsServers.CurlAsync("--cacert", _files.File("root.pem"), "--resolve", $"{host}:{HttpsPort}:127.0.0.1",
                "-o", "/dev/null", "-w", "%{http_code}", $"https://{host}:{HttpsPort}/echo");
            Assert.True(result.ExitCode == 0, result.All);
            Assert.Equal("200", result.Output);
        }
    }

    [Fact]
    public async Task HstsIsSentOnHttpsForSitesThatAskOnly()
    {
        using var client = new TlsClient(HttpsPort, [_root.Certificate]);
        using HttpResponseMessage shop = await client.GetAsync($"https://shop.test:{HttpsPort}/echo");
        Assert.Equal("max-age=86400; includeSubDomains", string.Join(",", shop.Headers.GetValues("Strict-Transport-Security")));
        using HttpResponseMessage www = await client.GetAsync($"https://www.blog.test:{HttpsPort}/echo", System.Net.HttpVersion.Version20);
        Assert.Equal("max-age=31536000", string.Join(",", www.Headers.GetValues("Strict-Transport-Security")));
        using HttpResponseMessage blog = await client.GetAsync($"https://news.blog.test:{HttpsPort}/echo");
        Assert.False(blog.Headers.Contains("Strict-Transport-Security"));

        // Plain HTTP to an HSTS site: no header (RFC 6797 §7.2).
        await using RawHttpConnection plain = await RawHttpConnection.OpenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _server.Ports[2]));
        await plain.SendAsync("GET /echo HTTP/1.1\r\nHost: shop.test\r\n\r\n");
        RawHttpResponse response = await plain.ReadResponseAsync();
        Assert.Equal(200, response.StatusCode);
        Assert.Null(response.Header("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData("GET", "/some/path?q=1&r=%20x")]
    [InlineData("POST", "/form")]
    public async Task TheRedirectListenerSendsEveryRequestToHttps(string method, string target)
    {
        await using RawHttpConnection connection = await RawHttpConnection.OpenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _server.Ports[1]));
        await connection.SendAsync($"{method} {target} HTTP/1.1\r\nHost: shop.test:{_server.Ports[1]}\r\nContent-Length: 0\r\n\r\n");
        RawHttpResponse response = await connection.ReadResponseAsync();
        Assert.Equal(308, response.StatusCode);
        Assert.Equal($"https://shop.test:{HttpsPort}{target}", response.Header("Location"));
        Assert.Null(response.Header("Strict-Transport-Security"));
        // No app ran: the request never reached a worker.
        Assert.DoesNotContain("\"environ\"", response.BodyText);
    }
}
