using System.Net;
using Microsoft.Extensions.Primitives;
using PyHost.Configuration.Model;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Tests.Forwarding;

public class RequestOriginTests
{
    private static readonly TrustedProxies LoopbackAndPrivate = TrustedProxies.Parse("127.0.0.1,::1,10.0.0.0/8");

    private static TransportFacts FromPeer(string? peer, string? host = "example.com", int peerPort = 50000) =>
        new(peer is null ? null : IPAddress.Parse(peer), peerPort, "http", host, IPAddress.Loopback, 8000);

    private static RequestOrigin Resolve(TransportFacts transport, ForwardingFields fields, ForwardedHeaderStyle style = ForwardedHeaderStyle.XForwarded, TrustedProxies? trusted = null) =>
        RequestOrigin.Resolve(trusted ?? LoopbackAndPrivate, style, transport, fields);

    private static ForwardingFields X(StringValues forwardedFor = default, string? proto = null, string? host = null, string? port = null) =>
        new(default, forwardedFor, proto ?? StringValues.Empty, host ?? StringValues.Empty, port ?? StringValues.Empty);

    [Fact]
    public void WithoutProxyHeadersTheConnectionSpeaks()
    {
        RequestOrigin origin = Resolve(FromPeer("::ffff:192.0.2.7", "example.com:8080"), default);

        Assert.Equal(new RequestOrigin("192.0.2.7", 50000, "http", "example.com:8080", "example.com", 8080, ViaTrustedProxy: false), origin);
    }

    [Fact]
    public void WithoutAHostHeaderTheListeningSocketNamesTheServer()
    {
        RequestOrigin origin = Resolve(FromPeer("192.0.2.7", host: null), default);

        Assert.Equal(("127.0.0.1", 8000, null as string), (origin.ServerName, origin.ServerPort, origin.Host));
    }

    [Fact]
    public void AnUntrustedPeersHeadersChangeNothing()
    {
        RequestOrigin origin = Resolve(
            FromPeer("203.0.113.9"),
            new ForwardingFields("for=1.2.3.4;proto=https;host=evil.example", "1.2.3.4", "https", "evil.example", "443"));

        Assert.Equal(new RequestOrigin("203.0.113.9", 50000, "http", "example.com", "example.com", 80, ViaTrustedProxy: false), origin);
    }

    [Fact]
    public void ATrustedProxyNamesTheClientTheSchemeAndTheDefaultPort()
    {
        RequestOrigin origin = Resolve(FromPeer("127.0.0.1"), X("203.0.113.5", proto: "https"));

        Assert.Equal(new RequestOrigin("203.0.113.5", 0, "https", "example.com", "example.com", 443, ViaTrustedProxy: true), origin);
    }

    [Theory]
    [InlineData("6.6.6.6, 203.0.113.5", "203.0.113.5")]                 // the client's own entry is forgeable
    [InlineData("127.0.0.1, 203.0.113.5", "203.0.113.5")]               // even when it names a trusted address
    [InlineData("203.0.113.5, 10.0.0.2, 10.0.0.3", "203.0.113.5")]      // trusted hops are walked from the right
    [InlineData("198.51.100.1, 203.0.113.5, 10.0.0.3", "203.0.113.5")]
    [InlineData("10.0.0.5, 10.0.0.6", "10.0.0.5")]                      // all trusted: the first one known
    [InlineData("[2001:db8::5]:1234", "2001:db8::5")]
    [InlineData("garbage, 10.0.0.9", "")]                               // a trusted hop vouches for no address
    [InlineData("unknown", "")]
    public void TheClientIsTheRightMostAddressThatIsNotATrustedProxy(string forwardedFor, string client)
    {
        Assert.Equal(client, Resolve(FromPeer("127.0.0.1"), X(forwardedFor)).RemoteAddress);
    }

    [Fact]
    public void ForwardedForLinesJoinInOrder()
    {
        Assert.Equal("203.0.113.5", Resolve(FromPeer("127.0.0.1"), X(new StringValues(["6.6.6.6", "203.0.113.5, 10.0.0.3"]))).RemoteAddress);
    }

    [Fact]
    public void AClientPortGivenByTheProxyIsKept()
    {
        Assert.Equal(4711, Resolve(FromPeer("127.0.0.1"), X("203.0.113.5:4711")).RemotePort);
    }

    [Fact]
    public void ForwardedHostAndPortNameTheServer()
    {
        RequestOrigin origin = Resolve(FromPeer("127.0.0.1", "backend:8000"), X("203.0.113.5", proto: "https", host: "www.example.com", port: "8443"));

        Assert.Equal(("https", "www.example.com", "www.example.com", 8443), (origin.Scheme, origin.Host, origin.ServerName, origin.ServerPort));
    }

    [Theory]
    [InlineData("http", "8080", "example.com:8080", 8080)]
    [InlineData("https", "443", "example.com", 443)]
    [InlineData("http", "80", "example.com", 80)]
    public void AForwardedPortAloneGoesIntoTheHost(string proto, string port, string host, int serverPort)
    {
        RequestOrigin origin = Resolve(FromPeer("127.0.0.1", "example.com:9000"), X(proto: proto, port: port));

        Assert.Equal((host, serverPort), (origin.Host, origin.ServerPort));
    }

    [Fact]
    public void TheRightMostProtoHostAndPortAreTheNearestProxys()
    {
        RequestOrigin origin = Resolve(FromPeer("127.0.0.1"), X("203.0.113.5", proto: "http, https", host: "a.example, b.example", port: "1, 2"));

        Assert.Equal(("https", "b.example", 2), (origin.Scheme, origin.Host, origin.ServerPort));
    }

    [Theory]
    [InlineData("ftp", null, null)]
    [InlineData(null, "evil.example/path", null)]
    [InlineData(null, "a b", null)]
    [InlineData(null, null, "http")]
    [InlineData(null, null, "70000")]
    public void ValuesThatAreNoSchemeHostOrPortAreIgnored(string? proto, string? host, string? port)
    {
        RequestOrigin origin = Resolve(FromPeer("127.0.0.1"), X(proto: proto, host: host, port: port));

        Assert.Equal(("http", "example.com", 80), (origin.Scheme, origin.Host, origin.ServerPort));
    }

    [Fact]
    public void AUnixSocketPeerIsBelievedOnlyWhenUnixIsTrusted()
    {
        ForwardingFields fields = X("203.0.113.5", proto: "https");

        Assert.Equal(("", "http"), (Resolve(FromPeer(null), fields).RemoteAddress, Resolve(FromPeer(null), fields).Scheme));
        RequestOrigin trusted = Resolve(FromPeer(null), fields, trusted: TrustedProxies.Parse("unix"));
        Assert.Equal(("203.0.113.5", "https"), (trusted.RemoteAddress, trusted.Scheme));
    }

    [Fact]
    public void TheRfc7239ElementOfTheClientGivesItsProtoAndHost()
    {
        var fields = new ForwardingFields(
            "for=6.6.6.6;proto=http;host=forged.example, for=203.0.113.5;proto=https;host=www.example.com, for=10.0.0.2;proto=http;host=inner",
            default, default, default, default);

        RequestOrigin origin = Resolve(FromPeer("127.0.0.1"), fields, ForwardedHeaderStyle.Forwarded);

        Assert.Equal(new RequestOrigin("203.0.113.5", 0, "https", "www.example.com", "www.example.com", 443, ViaTrustedProxy: true), origin);
    }

    [Theory]
    [InlineData("for=\"[2001:db8::17]:4711\"", "2001:db8::17", 4711)]
    [InlineData("for=unknown", "", 0)]
    [InlineData("for=_hidden, for=10.0.0.1", "", 0)]
    [InlineData("proto=https", "127.0.0.1", 50000)]
    [InlineData("for=1.2.3.4;for=5.6.7.8", "127.0.0.1", 50000)]
    public void Rfc7239NodesNameTheClientOrSayItIsUnknown(string header, string client, int port)
    {
        RequestOrigin origin = Resolve(FromPeer("127.0.0.1"), new ForwardingFields(header, default, default, default, default), ForwardedHeaderStyle.Forwarded);

        Assert.Equal((client, port), (origin.RemoteAddress, origin.RemotePort));
    }

    [Fact]
    public void OnlyTheConfiguredHeadersAreBelieved()
    {
        // A proxy that appends X-Forwarded-For passes a client's own Forwarded header through, and the other way round.
        var both = new ForwardingFields("for=1.1.1.1;proto=https", "203.0.113.5", default, default, default);

        Assert.Equal("203.0.113.5", Resolve(FromPeer("127.0.0.1"), both, ForwardedHeaderStyle.XForwarded).RemoteAddress);
        Assert.Equal("1.1.1.1", Resolve(FromPeer("127.0.0.1"), both, ForwardedHeaderStyle.Forwarded).RemoteAddress);
        Assert.Equal("127.0.0.1", Resolve(FromPeer("127.0.0.1"), both, ForwardedHeaderStyle.None).RemoteAddress);
    }
}
