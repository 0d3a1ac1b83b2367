using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxies;

/// <summary>The echo apps behind --proxy-protocol, with the access log on stdout.</summary>
public sealed class ProxyProtocolServer : Pep3333Server
{
    protected override IEnumerable<string> Options => ["-w", "1", "--access-logfile", "-", "--proxy-protocol"];
}

/// <summary>
/// --proxy-protocol: every connection starts with a PROXY v1 or v2 header (HAProxy's proxy-protocol.txt), whose
/// source becomes the client for the app, the access log and the connection limits. Anything else is closed and
/// logged with the peer. HAProxyTests drives the same with the real HAProxy.
/// </summary>
public sealed class ProxyProtocolTests(ProxyProtocolServer fixture, ITestOutputHelper output) : ServedTest<ProxyProtocolServer>(fixture, output)
{
    [Fact]
    public async Task AV1HeaderNamesTheClientOfEveryRequestOnTheConnection()
    {
        string tag = Guid.NewGuid().ToString("N");
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync($"PROXY TCP4 203.0.113.7 127.0.0.1 51234 {Server.Port}\r\n" + Server.Request("GET", $"/echo/{tag}"));

        var first = (await connection.ReadResponseAsync()).AssertStatus(200).Environ();
        await connection.SendAsync(Server.Request("GET", "/echo/second"));
        var second = (await connection.ReadResponseAsync()).AssertStatus(200).Environ();

        Assert.Equal(("203.0.113.7", "51234"), (first["REMOTE_ADDR"].GetString(), first["REMOTE_PORT"].GetString()));
        Assert.Equal("203.0.113.7", second["REMOTE_ADDR"].GetString());
        await Server.Process.WaitForOutputAsync(new Regex($"^203\\.0\\.113\\.7 - - \\[.*\\] \"GET /echo/{tag} HTTP/1.1\" 200 "), TimeSpan.FromSeconds(5), FirstLine);
    }

    [Fact]
    public async Task AV2HeaderWithTlvsNamesAnIPv6Client()
    {
        byte[] addresses = [.. IPAddress.Parse("2001:db8::17").GetAddressBytes(), .. IPAddress.IPv6Loopback.GetAddressBytes(), 0x12, 0x67, 0x1F, 0x40];
        byte[] tlvs = [0x01, 0x00, 0x02, (byte)'h', (byte)'2', 0x04, 0x00, 0x00];
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(ProxyProtocolHeader.V2(0x21, 0x21, [.. addresses, .. tlvs]).Concat(Encoding.ASCII.GetBytes(Server.Request("GET", "/echo"))).ToArray());

        var environ = (await connection.ReadResponseAsync()).AssertStatus(200).Environ();

        Assert.Equal(("2001:db8::17", "4711"), (environ["REMOTE_ADDR"].GetString(), environ["REMOTE_PORT"].GetString()));
    }

    [Fact]
    public async Task AV2LocalHeaderKeepsTheRealPeer()
    {
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(ProxyProtocolHeader.V2(0x20, 0x00, []).Concat(Encoding.ASCII.GetBytes(Server.Request("GET", "/echo"))).ToArray());

        Assert.Equal("127.0.0.1", (await connection.ReadResponseAsync()).AssertStatus(200).Environ()["REMOTE_ADDR"].GetString());
    }

    [Theory]
    [InlineData("no header at all", "GET /echo HTTP/1.1\r\nHost: test\r\n\r\n", "neither")]
    [InlineData("a malformed v1 line", "PROXY TCP4 203.0.113.7 127.0.0.1 051234 80\r\nGET /echo HTTP/1.1\r\nHost: test\r\n\r\n", "leading zeros")]
    [InlineData("a v1 line with a bare LF", "PROXY TCP4 203.0.113.7 127.0.0.1 1 80\nGET /echo HTTP/1.1\r\nHost: test\r\n\r\n", "CRLF")]
    public async Task AConnectionWithoutAValidHeaderIsClosedAndItsPeerLogged(string name, string bytes, string reason)
    {
        Output.WriteLine(name);
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(bytes);

        Assert.Null(await connection.ReadResponseOrNullAsync());
        await Server.Process.WaitForOutputAsync(
            new Regex($@"\[WARNING\] PROXY protocol: closed the connection from 127\.0\.0\.1:\d+: .*{Regex.Escape(reason)}"), TimeSpan.FromSeconds(5), FirstLine);
    }

    [Fact]
    public async Task AHeaderFromAPeerNotInTheTrustedListIsNotBelieved()
    {
        await using var connection = await Server.ConnectFromAsync(IPAddress.Parse("127.0.0.2"));
        await connection.SendAsync($"PROXY TCP4 203.0.113.7 127.0.0.1 51234 {Server.Port}\r\n" + Server.Request("GET", "/echo"));

        Assert.Null(await connection.ReadResponseOrNullAsync());
        await Server.Process.WaitForOutputAsync(
            new Regex(@"\[WARNING\] PROXY protocol: closed the connection from 127\.0\.0\.2:\d+: only a peer in --forwarded-allow-ips"), TimeSpan.FromSeconds(5), FirstLine);
    }
}
