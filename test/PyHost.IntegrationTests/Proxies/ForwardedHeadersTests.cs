using System.Net;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxies;

/// <summary>The echo apps with the access log on stdout and the default trust: loopback 127.0.0.1 and ::1 only.</summary>
public sealed class AccessLoggedServer : Pep3333Server
{
    protected override IEnumerable<string> Options => ["-w", "1", "--access-logfile", "-"];
}

/// <summary>
/// --forwarded-allow-ips: a trusted proxy's X-Forwarded-* headers say who the client is and which URL it used; the
/// same headers from anyone else change nothing and reach the app as they came. 127.0.0.2 plays the untrusted
/// client: any 127/8 address is loopback, but only 127.0.0.1 is in the default list.
/// </summary>
public sealed class ForwardedHeadersTests(AccessLoggedServer fixture, ITestOutputHelper output) : ServedTest<AccessLoggedServer>(fixture, output)
{
    private static readonly IPAddress Untrusted = IPAddress.Parse("127.0.0.2");

    private static readonly string[] ProxyHeaders =
    [
        "X-Forwarded-For: 6.6.6.6, 203.0.113.5",
        "X-Forwarded-Proto: https",
        "X-Forwarded-Host: www.example.com",
        "X-Forwarded-Port: 8443",
    ];

    [Fact]
    public async Task ATrustedProxyNamesTheClientSchemeHostAndPortForTheAppAndTheAccessLog()
    {
        string tag = Guid.NewGuid().ToString("N");

        var environ = (await Server.GetAsync($"/echo/{tag}", ProxyHeaders)).AssertStatus(200).Environ();

        Assert.Equal("203.0.113.5", environ["REMOTE_ADDR"].GetString());
        Assert.Equal("https", environ["wsgi.url_scheme"].GetString());
        Assert.Equal("www.example.com", environ["HTTP_HOST"].GetString());
        Assert.Equal("www.example.com", environ["SERVER_NAME"].GetString());
        Assert.Equal("8443", environ["SERVER_PORT"].GetString());
        await Server.Process.WaitForOutputAsync(new Regex($"^203\\.0\\.113\\.5 - - \\[.*\\] \"GET /echo/{tag} HTTP/1.1\" 200 "), TimeSpan.FromSeconds(5), FirstLine);
    }

    [Fact]
    public async Task TheSameHeadersFromAnUntrustedPeerChangeNothingAndPassThroughUntouched()
    {
        string tag = Guid.NewGuid().ToString("N");
        string[] headers = [.. ProxyHeaders, "Forwarded: for=6.6.6.6;proto=https;host=evil.example"];
        var fromProxy = (await Server.GetAsync("/echo/trusted", headers)).AssertStatus(200).Environ();
        await using var connection = await Server.ConnectFromAsync(Untrusted);
        await connection.SendAsync(Server.Request("GET", $"/echo/{tag}", headers));

        var environ = (await connection.ReadResponseAsync()).AssertStatus(200).Environ();

        Assert.Equal(("203.0.113.5", "https"), (fromProxy["REMOTE_ADDR"].GetString(), fromProxy["wsgi.url_scheme"].GetString()));
        Assert.Equal("127.0.0.2", environ["REMOTE_ADDR"].GetString());
        Assert.Equal("http", environ["wsgi.url_scheme"].GetString());
        Assert.Equal(Server.Authority, environ["HTTP_HOST"].GetString());
        Assert.Equal("127.0.0.1", environ["SERVER_NAME"].GetString());
        Assert.Equal(Server.Port.ToString(), environ["SERVER_PORT"].GetString());
        Assert.Equal("6.6.6.6, 203.0.113.5", environ["HTTP_X_FORWARDED_FOR"].GetString());
        Assert.Equal("https", environ["HTTP_X_FORWARDED_PROTO"].GetString());
        Assert.Equal("for=6.6.6.6;proto=https;host=evil.example", environ["HTTP_FORWARDED"].GetString());
        await Server.Process.WaitForOutputAsync(new Regex($"^127\\.0\\.0\\.2 - - \\[.*\\] \"GET /echo/{tag} HTTP/1.1\" 200 "), TimeSpan.FromSeconds(5), FirstLine);
    }

    [Fact]
    public async Task AClientBehindATrustedProxyCannotNameItselfWithTheLeftMostEntry()
    {
        // The proxy appends the address it saw (203.0.113.5); what the client wrote before it is the client's own.
        var environ = (await Server.GetAsync("/echo", "X-Forwarded-For: 127.0.0.1, 10.0.0.1, 203.0.113.5")).AssertStatus(200).Environ();

        Assert.Equal("203.0.113.5", environ["REMOTE_ADDR"].GetString());
    }

    [Fact]
    public async Task ByDefaultXForwardedForCountsAndTheRfc7239HeaderDoesNot()
    {
        // A proxy that appends X-Forwarded-For passes a client's own Forwarded header through: it must not count.
        var environ = (await Server.GetAsync("/echo", "X-Forwarded-For: 203.0.113.5", "Forwarded: for=198.51.100.1;proto=https")).AssertStatus(200).Environ();

        Assert.Equal("203.0.113.5", environ["REMOTE_ADDR"].GetString());
        Assert.Equal("http", environ["wsgi.url_scheme"].GetString());
    }
}

/// <summary>Servers started per test, for the options one fixture cannot share.</summary>
public sealed class ForwardedHeaderOptionsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task WithForwardedHeadersForwardedTheRfc7239ElementOfTheClientCounts()
    {
        await using var server = await StartAsync("--forwarded-headers", "forwarded");

        var environ = (await server.GetAsync("/echo",
            "Forwarded: for=6.6.6.6;proto=http, for=\"[2001:db8::17]:4711\";proto=https;host=www.example.com",
            "X-Forwarded-For: 198.51.100.1")).AssertStatus(200).Environ();

        Assert.Equal("2001:db8::17", environ["REMOTE_ADDR"].GetString());
        Assert.Equal("4711", environ["REMOTE_PORT"].GetString());
        Assert.Equal("https", environ["wsgi.url_scheme"].GetString());
        Assert.Equal("www.example.com", environ["HTTP_HOST"].GetString());
        Assert.Equal("443", environ["SERVER_PORT"].GetString());
    }

    [Fact]
    public async Task ACidrRangeTrustsAChainOfProxies()
    {
        await using var server = await StartAsync("--forwarded-allow-ips", "127.0.0.0/8, 10.0.0.0/8");
        await using var connection = await server.ConnectFromAsync(IPAddress.Parse("127.0.0.9"));
        await connection.SendAsync(server.Request("GET", "/echo", ["X-Forwarded-For: 6.6.6.6, 203.0.113.5, 10.1.2.3, 10.4.5.6"]));

        Assert.Equal("203.0.113.5", (await connection.ReadResponseAsync()).AssertStatus(200).Environ()["REMOTE_ADDR"].GetString());
    }

    [Fact]
    public async Task AUnixSocketPeerIsTrustedOnlyWhenTheListSaysUnix()
    {
        string directory = Directory.CreateTempSubdirectory("pyhost-unix-").FullName;
        try
        {
            string plain = Path.Combine(directory, "plain.sock");
            string trusting = Path.Combine(directory, "trusting.sock");
            await using var untrustedServer = await StartAsync("-b", $"unix:{plain}");
            await using var trustingServer = await StartAsync("-b", $"unix:{trusting}", "--forwarded-allow-ips", "unix");

            var ignored = await SendOverUnixAsync(untrustedServer, plain);
            var believed = await SendOverUnixAsync(trustingServer, trusting);

            Assert.Equal(("", "http"), (ignored["REMOTE_ADDR"].GetString(), ignored["wsgi.url_scheme"].GetString()));
            Assert.Equal(("203.0.113.5", "https"), (believed["REMOTE_ADDR"].GetString(), believed["wsgi.url_scheme"].GetString()));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("--forwarded-allow-ips", "10.0.0.0/33", "--forwarded-allow-ips '10.0.0.0/33'")]
    [InlineData("--forwarded-allow-ips", "proxy.example", "--forwarded-allow-ips 'proxy.example'")]
    [InlineData("--forwarded-headers", "both", "--forwarded-headers 'both'")]
    public async Task AMistakeInTheProxyOptionsIsAUsageErrorNamingTheFlag(string flag, string value, string message)
    {
        await using var process = TestProcess.Start(["serve", "--python", Repository.Python, flag, value]);

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains(message, process.StandardError);
        Assert.DoesNotContain("   at ", process.Output);
    }

    private async Task<PyHostServer> StartAsync(params string[] options)
    {
        var server = await PyHostServer.StartAsync("pep3333:app", ["--chdir", Repository.AppsDirectory, "-w", "1", .. options]);
        output.WriteLine(server.Process.CommandLine);
        return server;
    }

    private static async Task<IReadOnlyDictionary<string, System.Text.Json.JsonElement>> SendOverUnixAsync(PyHostServer server, string path)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        await connection.SendAsync(server.Request("GET", "/echo", ["X-Forwarded-For: 203.0.113.5", "X-Forwarded-Proto: https"]));
        return (await connection.ReadResponseAsync()).AssertStatus(200).Environ();
    }
}
