using System.Net;

namespace PyHost.Http.Tests;

public class BindAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:8000", "127.0.0.1", 8000)]
    [InlineData("0.0.0.0:80", "0.0.0.0", 80)]
    [InlineData(":8000", "0.0.0.0", 8000)]
    [InlineData("*:8000", "0.0.0.0", 8000)]
    [InlineData("[::1]:8000", "::1", 8000)]
    [InlineData("[::]:8000", "::", 8000)]
    [InlineData("[fe80::1%2]:9000", "fe80::1%2", 9000)]
    [InlineData("127.0.0.1", "127.0.0.1", 8000)]
    [InlineData("[::1]", "::1", 8000)]
    [InlineData("10.1.2.3:0", "10.1.2.3", 0)]
    [InlineData("10.1.2.3:65535", "10.1.2.3", 65535)]
    public void TryParseReadsAnIpAddressAndPort(string text, string address, int port)
    {
        Assert.True(BindAddress.TryParse(text, out BindAddress? bind, out string? error), error);

        Assert.Equal(IPAddress.Parse(address), bind.Address);
        Assert.Equal(port, bind.Port);
        Assert.Equal(text, bind.Text);
        Assert.False(bind.IsLocalhost);
        Assert.Null(bind.UnixSocketPath);
    }

    [Theory]
    [InlineData("localhost:5000", 5000)]
    [InlineData("LocalHost:5001", 5001)]
    [InlineData("localhost", 8000)]
    public void TryParseTakesLocalhostAsEveryLoopbackWithoutAnAddress(string text, int port)
    {
        Assert.True(BindAddress.TryParse(text, out BindAddress? bind, out string? error), error);

        Assert.True(bind.IsLocalhost);
        Assert.Null(bind.Address);
        Assert.Equal(port, bind.Port);
        Assert.Null(bind.UnixSocketPath);
    }

    [Theory]
    [InlineData("unix:/tmp/x.sock", "/tmp/x.sock")]
    [InlineData("unix:///tmp/x.sock", "/tmp/x.sock")]
    [InlineData("unix:/run/app/../app.sock", "/run/app.sock")]
    public void TryParseReadsAUnixSocketPath(string text, string path)
    {
        Assert.True(BindAddress.TryParse(text, out BindAddress? bind, out string? error), error);

        Assert.Equal(path, bind.UnixSocketPath);
        Assert.Null(bind.Address);
        Assert.False(bind.IsLocalhost);
    }

    [Fact]
    public void TryParseMakesARelativeUnixSocketPathAbsolute()
    {
        Assert.True(BindAddress.TryParse("unix:relative.sock", out BindAddress? bind, out string? error), error);

        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "relative.sock"), bind.UnixSocketPath);
        Assert.True(Path.IsPathRooted(bind.UnixSocketPath));
    }

    [Theory]
    [InlineData("unix:", "a unix bind needs a path")]
    [InlineData("unix://", "a unix bind needs a path")]
    [InlineData("127.0.0.1:abc", "'abc' is not a port number (0-65535)")]
    [InlineData("127.0.0.1:70000", "'70000' is not a port number (0-65535)")]
    [InlineData("127.0.0.1:65536", "'65536' is not a port number (0-65535)")]
    [InlineData("127.0.0.1:-1", "'-1' is not a port number (0-65535)")]
    [InlineData("127.0.0.1:", "'' is not a port number (0-65535)")]
    [InlineData("[::1]:", "'' is not a port number (0-65535)")]
    [InlineData("[::1", "an IPv6 bind is written [ADDRESS]:PORT")]
    [InlineData("[::1]x", "an IPv6 bind is written [ADDRESS]:PORT")]
    [InlineData("[::1]8000", "an IPv6 bind is written [ADDRESS]:PORT")]
    [InlineData("example.com:80", "'example.com' is not an IP address")]
    [InlineData("[example]:80", "'example' is not an IP address")]
    [InlineData("300.0.0.1:80", "'300.0.0.1' is not an IP address")]
    [InlineData("8000", "'8000' is not an IP address")]          // not IPv4 shorthand for 0.0.31.64
    [InlineData("1.2.3:80", "'1.2.3' is not an IP address")]     // not shorthand for 1.2.0.3
    public void TryParseRefusesABadBindSayingWhy(string text, string expectedError)
    {
        Assert.False(BindAddress.TryParse(text, out BindAddress? bind, out string? error));

        Assert.Null(bind);
        Assert.StartsWith($"'{text}': ", error);
        Assert.Contains(expectedError, error);
    }

    [Fact]
    public void AnErrorAboutTheHostShowsHowABindIsWritten()
    {
        Assert.False(BindAddress.TryParse("example.com:80", out _, out string? error));

        Assert.Contains("127.0.0.1:8000", error);
        Assert.Contains("unix:PATH", error);
    }

    [Theory]
    [InlineData("uwsgi://127.0.0.1:8001", ListenerProtocol.Uwsgi, "127.0.0.1", 8001)]
    [InlineData("fastcgi://0.0.0.0:9000", ListenerProtocol.FastCgi, "0.0.0.0", 9000)]
    [InlineData("fcgi://[::1]:9000", ListenerProtocol.FastCgi, "::1", 9000)]
    [InlineData("scgi://:4000", ListenerProtocol.Scgi, "0.0.0.0", 4000)]
    [InlineData("UWSGI://127.0.0.1:8001", ListenerProtocol.Uwsgi, "127.0.0.1", 8001)]
    [InlineData("http://127.0.0.1:8000", ListenerProtocol.Http, "127.0.0.1", 8000)]
    [InlineData("127.0.0.1:8000", ListenerProtocol.Http, "127.0.0.1", 8000)]
    public void TryParseReadsTheGatewaySchemes(string text, ListenerProtocol protocol, string address, int port)
    {
        Assert.True(BindAddress.TryParse(text, out BindAddress? bind, out string? error), error);

        Assert.Equal(protocol, bind.Protocol);
        Assert.Equal(IPAddress.Parse(address), bind.Address);
        Assert.Equal(port, bind.Port);
        Assert.Equal(text, bind.Text);
    }

    [Theory]
    [InlineData("uwsgi+unix:/run/site.sock", ListenerProtocol.Uwsgi)]
    [InlineData("fastcgi+unix:/run/site.sock", ListenerProtocol.FastCgi)]
    [InlineData("fcgi+unix:///run/site.sock", ListenerProtocol.FastCgi)]
    [InlineData("scgi+unix:/run/site.sock", ListenerProtocol.Scgi)]
    [InlineData("unix:/run/site.sock", ListenerProtocol.Http)]
    public void TryParseReadsTheGatewayUnixSocketForms(string text, ListenerProtocol protocol)
    {
        Assert.True(BindAddress.TryParse(text, out BindAddress? bind, out string? error), error);

        Assert.Equal(protocol, bind.Protocol);
        Assert.Equal("/run/site.sock", bind.UnixSocketPath);
    }

    [Theory]
    [InlineData("ajp://127.0.0.1:8009", "uwsgi://HOST:PORT")]
    [InlineData("uwsgi://127.0.0.1:8001/", "uwsgi://HOST:PORT")]
    [InlineData("uwsgi+unix:", "a unix bind needs a path, e.g. uwsgi+unix:/run/app.sock")]
    [InlineData("scgi://example.com:4000", "'example.com' is not an IP address")]
    public void TryParseRefusesABadGatewayBindSayingWhy(string text, string expectedError)
    {
        Assert.False(BindAddress.TryParse(text, out _, out string? error));

        Assert.StartsWith($"'{text}': ", error);
        Assert.Contains(expectedError, error);
    }
}
