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

    // Vectors that came with the front's own bind parser, which this one replaced.
    [Theory]
    [InlineData("[fe80::1%2]:9000", "fe80::1%2", 9000)]
    [InlineData("127.0.0.1", "127.0.0.1", 8000)]
    [InlineData("10.1.2.3:0", "10.1.2.3", 0)]
    [InlineData("10.1.2.3:65535", "10.1.2.3", 65535)]
    [InlineData("UWSGI://127.0.0.1:8001", "127.0.0.1", 8001)]
    [InlineData("http://127.0.0.1:8000", "127.0.0.1", 8000)]
    public void ReadsEveryFormOfATcpAddressKeepingItsText(string text, string ip, int port)
    {
        Assert.True(ListenAddress.TryParse(text, "/", out ListenAddress? address, out string? error), error);
        Assert.Equal(IPAddress.Parse(ip), address.Address);
        Assert.Equal(port, address.Port);
        Assert.Equal(text, address.Text);
        Assert.False(address.IsLocalhost);
        Assert.Null(address.UnixSocketPath);
    }

    [Theory]
    [InlineData("localhost:5000", 5000)]
    [InlineData("LocalHost:5001", 5001)]
    [InlineData("localhost", 8000)]
    public void LocalhostInAnyCaseAndWithoutAPortIsBothLoopbacks(string text, int port)
    {
        Assert.True(ListenAddress.TryParse(text, "/", out ListenAddress? address, out string? error), error);
        Assert.True(address.IsLocalhost);
        Assert.Null(address.Address);
        Assert.Equal(port, address.Port);
        Assert.Null(address.UnixSocketPath);
    }

    [Theory]
    [InlineData("unix:/run/app/../app.sock", "/run/app.sock")]
    [InlineData("fcgi+unix:///run/site.sock", "/run/site.sock")]
    public void UnixSocketPathsAreNormalised(string text, string path)
    {
        Assert.True(ListenAddress.TryParse(text, "/srv", out ListenAddress? address, out string? error), error);
        Assert.Equal(path, address.UnixSocketPath);
        Assert.Null(address.Address);
        Assert.False(address.IsLocalhost);
    }

    [Theory]
    [InlineData("unix://", "a unix socket address needs a path")]
    [InlineData("uwsgi+unix:", "a unix socket address needs a path, e.g. uwsgi+unix:/run/site.sock")]
    [InlineData("127.0.0.1:abc", "'abc' is not a port number (0-65535)")]
    [InlineData("127.0.0.1:65536", "'65536' is not a port number (0-65535)")]
    [InlineData("127.0.0.1:-1", "'-1' is not a port number (0-65535)")]
    [InlineData("127.0.0.1:", "'' is not a port number (0-65535)")]
    [InlineData("[::1]:", "'' is not a port number (0-65535)")]
    [InlineData("[::1]x", "an IPv6 address is written [ADDRESS]:PORT")]
    [InlineData("[::1]8000", "an IPv6 address is written [ADDRESS]:PORT")]
    [InlineData("[example]:80", "'example' is not an IP address")]
    [InlineData("300.0.0.1:80", "'300.0.0.1' is not an IP address")]
    [InlineData("1.2.3:80", "'1.2.3' is not an IP address")]     // not shorthand for 1.2.0.3
    [InlineData("scgi://example.com:4000", "'example.com' is not an IP address")]
    [InlineData("ajp://127.0.0.1:8009", "unknown scheme")]
    [InlineData("uwsgi://127.0.0.1:8001/", "'8001/' is not a port number")]
    public void RefusesABadAddressNamingItAndSayingWhy(string text, string reason)
    {
        Assert.False(ListenAddress.TryParse(text, "/", out ListenAddress? address, out string? error));
        Assert.Null(address);
        Assert.StartsWith($"'{text}': ", error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void AnErrorAboutTheHostShowsHowAnAddressIsWritten()
    {
        Assert.False(ListenAddress.TryParse("example.com:80", "/", out _, out string? error));
        Assert.Contains("127.0.0.1:8000", error);
        Assert.Contains("unix:PATH", error);
    }

    [Theory]
    [InlineData("127.0.0.1:8000", "127.0.0.1:8000")]
    [InlineData("uwsgi://:8001", "uwsgi://0.0.0.0:8001")]
    [InlineData("fcgi://[::1]:9000", "fastcgi://[::1]:9000")]
    [InlineData("scgi+unix:/run/a.sock", "scgi+unix:/run/a.sock")]
    public void TheCanonicalUrlKeepsTheGatewayScheme(string text, string url)
    {
        Assert.True(ListenAddress.TryParse(text, "/", out ListenAddress? address, out string? error), error);
        Assert.Equal(url, address.CanonicalUrl);
    }
}
