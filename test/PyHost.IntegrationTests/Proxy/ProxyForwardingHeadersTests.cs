using System.Net;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// The headers a PyHost balancer names the client with, as the pyhost behind it (apps/pep3333.py's /echo) receives
/// them, with forwarded_headers = "both": a client that is not a trusted proxy cannot pass a forged address, host or
/// scheme on (its X-Forwarded-*, X-Real-IP and Forwarded are replaced), while a trusted proxy's chain is extended.
/// </summary>
public sealed class ProxyForwardingHeadersTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnUntrustedClientsForwardingHeadersAreReplacedAndATrustedProxysChainIsExtended()
    {
        await using ConfiguredServer backend = await Pep3333Server.StartBackendAsync(output);
        await using var front = await ConfiguredServer.StartAsync(output,
            Balancer.Toml($"\"http://127.0.0.1:{backend.Ports[0]}\"", "forwarded_headers = \"both\""));
        const string forged = "X-Forwarded-For: 198.51.100.66\r\nX-Forwarded-Host: evil.test\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 1\r\n"
                              + "X-Real-IP: 198.51.100.66\r\nForwarded: for=198.51.100.66;proto=https;host=evil.test\r\n";

        // 127.0.0.2 is not in forwarded_allow_ips (127.0.0.1 and ::1 by default): its word is dropped.
        IReadOnlyDictionary<string, JsonElement> untrusted = (await Balancer.GetAsync(front, "/echo", IPAddress.Parse("127.0.0.2"), forged))
            .AssertStatus(200).Environ();
        Assert.Equal("127.0.0.2", untrusted["HTTP_X_FORWARDED_FOR"].GetString());
        Assert.Equal("http", untrusted["HTTP_X_FORWARDED_PROTO"].GetString());
        Assert.Equal("site.test", untrusted["HTTP_X_FORWARDED_HOST"].GetString());
        Assert.Equal("for=127.0.0.2;proto=http;host=\"site.test\"", untrusted["HTTP_FORWARDED"].GetString());
        Assert.DoesNotContain("HTTP_X_REAL_IP", untrusted.Keys);
        Assert.DoesNotContain("HTTP_X_FORWARDED_PORT", untrusted.Keys);
        // The backend believes the balancer (127.0.0.1), so the app sees the real client.
        Assert.Equal("127.0.0.2", untrusted["REMOTE_ADDR"].GetString());
        Assert.Equal("http", untrusted["wsgi.url_scheme"].GetString());

        // From 127.0.0.1, a trusted proxy: the chains it sent go on, with it added.
        IReadOnlyDictionary<string, JsonElement> trusted = (await Balancer.GetAsync(front, "/echo",
                headers: "X-Forwarded-For: 203.0.113.9\r\nForwarded: for=203.0.113.9\r\n"))
            .AssertStatus(200).Environ();
        Assert.Equal("203.0.113.9, 127.0.0.1", trusted["HTTP_X_FORWARDED_FOR"].GetString());
        Assert.Equal("for=203.0.113.9, for=127.0.0.1;proto=http;host=\"site.test\"", trusted["HTTP_FORWARDED"].GetString());
        Assert.Equal("203.0.113.9", trusted["REMOTE_ADDR"].GetString());
    }
}
