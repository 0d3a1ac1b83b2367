using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.FrameworkTests.Examples;

/// <summary>
/// examples/sites/pyhost.toml with automatic HTTPS from an ACME CA, as a deployment runs it: Debian's pebble (Let's
/// Encrypt's test server, the shared <see cref="Pebble"/> fixture) issues each site's certificate after PyHost answers
/// its HTTP-01 or TLS-ALPN-01 challenge, and the Django and Flask examples and the static site are served over HTTPS
/// with it, the client trusting pebble's root alone (from pebble's management endpoint). The example's *.localhost
/// names are for the local CA (no public CA certifies them), so here they become names under pyhost.test — what a
/// deployment does with its own domain — which the test's DNS server resolves to 127.0.0.1 for pebble's validation;
/// the [acme] table names pebble. Everything else is the file as written.
/// </summary>
public sealed class ExampleSitesAcmeTests(ExampleSitesAcmeServer sites) : IClassFixture<ExampleSitesAcmeServer>
{
    [Theory]
    [InlineData("notes.pyhost.test", "/", "Notes")]
    [InlineData("notes.pyhost.test", "/static/notes/site.css", "")]
    [InlineData("gallery.pyhost.test", "/", "Gallery")]
    [InlineData("www.gallery.pyhost.test", "/", "Gallery")]
    [InlineData("docs.pyhost.test", "/", "<html")]
    public async Task EachSiteIsServedOverHttpsWithTheCertificatePebbleIssued(string host, string target, string text)
    {
        // TlsClient checks the chain against pebble's root alone and the name against the certificate.
        using var client = new TlsClient(sites.HttpsPort, sites.PebbleRoot!);
        using HttpResponseMessage response = await client.GetAsync($"https://{host}:{sites.HttpsPort}{target}");
        string body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{host}{target}: {(int)response.StatusCode}\n{body}\n{sites.Server!.Describe()}");
        Assert.Contains(text, body, StringComparison.OrdinalIgnoreCase);
        X509Certificate2 leaf = Assert.Single(client.Seen);
        Assert.DoesNotContain("PyHost", leaf.Issuer, StringComparison.OrdinalIgnoreCase);   // not the local CA's
        Assert.Equal([host], DnsNames(leaf));   // one certificate per name, as PyHost orders them
    }

    [Fact]
    public void EverySiteNameGotItsCertificateFromPebble()
    {
        foreach (string name in ExampleSitesAcmeServer.Names)
        {
            Assert.Matches(new Regex($@"\[INFO\] Certificate for {Regex.Escape(name)} from https://127\.0\.0\.1:\d+/dir: valid until"), sites.Server!.Output);
        }
    }

    private static string[] DnsNames(X509Certificate2 certificate) =>
        [.. certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(names => names.EnumerateDnsNames())];
}

/// <summary>pebble, its DNS server and the example sites with tls = "auto" against it; the class waits until every
/// name has its certificate.</summary>
public sealed class ExampleSitesAcmeServer : IAsyncLifetime
{
    /// <summary>The example's names that a public CA would certify once renamed; *.docs.localhost stays a local name.</summary>
    public static readonly string[] Names = ["notes.pyhost.test", "gallery.pyhost.test", "www.gallery.pyhost.test", "docs.pyhost.test"];

    private readonly TemporaryDirectory _files = new();
    private readonly TestDnsServer _dns = new();
    private Pebble? _pebble;

    public int HttpPort { get; } = PyHostServer.FreePort(IPAddress.Loopback);

    public int HttpsPort { get; } = PyHostServer.FreePort(IPAddress.Loopback);

    public TestProcess? Server { get; private set; }

    public X509Certificate2Collection? PebbleRoot { get; private set; }

    public async Task InitializeAsync()
    {
        foreach (string name in Names)
        {
            _dns.Set(name, IPAddress.Loopback);
        }
        // pebble validates HTTP-01 on the example's plain listener and TLS-ALPN-01 on its HTTPS one.
        _pebble = await Pebble.StartAsync(_files, _dns, HttpPort, HttpsPort);
        PebbleRoot = [await _pebble.IssuingRootAsync()];
        string config = ExampleSites.Config(HttpPort, HttpsPort)
            .Replace("\"notes.localhost\"", "\"notes.pyhost.test\"")
            .Replace("\"gallery.localhost\", \"www.gallery.localhost\"", "\"gallery.pyhost.test\", \"www.gallery.pyhost.test\"")
            .Replace("\"docs.localhost\"", "\"docs.pyhost.test\"")
            + $"""

            [acme]
            directory = "{_pebble.DirectoryUrl}"
            ca_root = "{_pebble.ListenerCaFile}"
            email = "admin@pyhost.test"
            """;
        Assert.All(Names, name => Assert.Contains($"\"{name}\"", config));
        Server = await ExampleSites.StartAsync(_files.Path, config, HttpsPort,
            new Dictionary<string, string?> { ["DJANGO_ALLOWED_HOSTS"] = ".pyhost.test" });
        foreach (string name in Names)
        {
            await Server.WaitForOutputAsync(new Regex($@"Certificate for {Regex.Escape(name)} from https://127\.0\.0\.1:\d+/dir: valid until"),
                TimeSpan.FromSeconds(90));
        }
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        if (_pebble is not null)
        {
            await _pebble.DisposeAsync();
        }
        _dns.Dispose();
        _files.Dispose();
    }
}
