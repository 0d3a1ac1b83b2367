using System.Net;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Model;

public class ListenAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:8000", ListenerProtocol.Http, "127.0.0.1", 8000)]
    [InlineData("0.0.0.0:80", ListenerProtocol.Http, "0.0.0.0", 80)]
    [InlineData(":8080", ListenerProtocol.Http, "0.0.0.0", 8080)]
    [InlineData("*:8080", ListenerProtocol.Http, "0.0.0.0", 8080)]
    [InlineData("[::1]:8443", ListenerProtocol.Http, "::1", 8443)]
    [InlineData("[::]", ListenerProtocol.Http, "::", 8000)]
    [InlineData("uwsgi://127.0.0.1:3031", ListenerProtocol.Uwsgi, "127.0.0.1", 3031)]
    [InlineData("fastcgi://[::1]:9000", ListenerProtocol.FastCgi, "::1", 9000)]
    [InlineData("scgi://0.0.0.0:4000", ListenerProtocol.Scgi, "0.0.0.0", 4000)]
    public void ReadsTcpAddressesWithTheirProtocol(string text, ListenerProtocol protocol, string ip, int port)
    {
        Assert.True(ListenAddress.TryParse(text, "/srv", out ListenAddress? address, out string? error), error);
        Assert.Equal(protocol, address.Protocol);
        Assert.Equal(IPAddress.Parse(ip), address.Address);
        Assert.Equal(port, address.Port);
        Assert.False(address.IsUnixSocket);
    }

    [Theory]
    [InlineData("unix:/run/site.sock", ListenerProtocol.Http, "/run/site.sock")]
    [InlineData("unix:site.sock", ListenerProtocol.Http, "/srv/site.sock")]
    [InlineData("unix:///run/site.sock", ListenerProtocol.Http, "/run/site.sock")]
    [InlineData("uwsgi+unix:/run/site.sock", ListenerProtocol.Uwsgi, "/run/site.sock")]
    [InlineData("fastcgi+unix:/run/php.sock", ListenerProtocol.FastCgi, "/run/php.sock")]
    [InlineData("scgi+unix:run/scgi.sock", ListenerProtocol.Scgi, "/srv/run/scgi.sock")]
    public void ReadsUnixSocketsRelativeToTheBaseDirectory(string text, ListenerProtocol protocol, string path)
    {
        Assert.True(ListenAddress.TryParse(text, "/srv", out ListenAddress? address, out string? error), error);
        Assert.Equal(protocol, address.Protocol);
        Assert.Equal(path, address.UnixSocketPath);
    }

    [Fact]
    public void LocalhostIsKeptAsBothLoopbacks()
    {
        Assert.True(ListenAddress.TryParse("localhost:9000", "/", out ListenAddress? address, out _));
        Assert.True(address.IsLocalhost);
        Assert.Null(address.Address);
    }

    [Theory]
    [InlineData("example.com:80", "not an IP address")]
    [InlineData("127.0.0.1:http", "not a port number")]
    [InlineData("127.0.0.1:70000", "not a port number")]
    [InlineData("8000", "not an IP address")]
    [InlineData("[::1:8000", "IPv6")]
    [InlineData("unix:", "needs a path")]
    [InlineData("https://0.0.0.0:443", "unknown scheme")]
    public void RefusesWithAReason(string text, string reason)
    {
        Assert.False(ListenAddress.TryParse(text, "/", out _, out string? error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("0.0.0.0:8000", ":8000")]
    [InlineData("[::1]:80", "[0:0:0:0:0:0:0:1]:80")]
    [InlineData("unix:/run/a.sock", "unix:///run/a.sock")]
    public void TwoSpellingsOfOneAddressShareTheirCanonicalForm(string a, string b)
    {
        Assert.True(ListenAddress.TryParse(a, "/", out ListenAddress? first, out _));
        Assert.True(ListenAddress.TryParse(b, "/", out ListenAddress? second, out _));
        Assert.Equal(first.Canonical, second.Canonical);
    }
}
