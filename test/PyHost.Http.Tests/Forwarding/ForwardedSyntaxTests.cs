using System.Net;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Tests.Forwarding;

public class ForwardedSyntaxTests
{
    [Theory]
    [InlineData("192.0.2.43", "192.0.2.43", 0)]
    [InlineData(" 192.0.2.43 ", "192.0.2.43", 0)]
    [InlineData("192.0.2.43:47011", "192.0.2.43", 47011)]
    [InlineData("2001:db8::1", "2001:db8::1", 0)]
    [InlineData("[2001:db8::1]", "2001:db8::1", 0)]
    [InlineData("[2001:db8::1]:4711", "2001:db8::1", 4711)]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1", 0)]
    [InlineData("192.0.2.43:_abc", "192.0.2.43", 0)]
    public void ANodeGivesItsAddressAndPort(string text, string address, int port)
    {
        Assert.True(ForwardedNode.TryParse(text, out IPAddress? parsed, out int parsedPort));
        Assert.Equal(IPAddress.Parse(address), parsed);
        Assert.Equal(port, parsedPort);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("UNKNOWN")]
    [InlineData("_hidden")]
    [InlineData("_h.i-d_e")]
    [InlineData("unknown:80")]
    public void UnknownAndObfuscatedNodesNameNoAddress(string text)
    {
        Assert.True(ForwardedNode.TryParse(text, out IPAddress? address, out _));
        Assert.Null(address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("10")]
    [InlineData("1.2.3")]
    [InlineData("192.0.2.1:99999")]
    [InlineData("192.0.2.1:")]
    [InlineData("[2001:db8::1")]
    [InlineData("[192.0.2.1]")]
    [InlineData("fe80::1%eth0")]
    [InlineData("_")]
    [InlineData("_a b")]
    public void ANodeThatIsNoneOfTheseIsRefused(string text)
    {
        Assert.False(ForwardedNode.TryParse(text, out _, out _));
    }

    [Fact]
    public void ForwardedElementsAreReadFromEveryLineInOrder()
    {
        var elements = ForwardedHeader.Parse(new(["for=192.0.2.60;proto=http;by=203.0.113.43", "for=\"[2001:db8:cafe::17]:4711\", For=unknown;HOST=example.com"]));

        Assert.NotNull(elements);
        Assert.Equal(
            [
                new ForwardedElement("192.0.2.60", "http", null),
                new ForwardedElement("[2001:db8:cafe::17]:4711", null, null),
                new ForwardedElement("unknown", null, "example.com"),
            ],
            elements);
    }

    [Fact]
    public void QuotedValuesMayHoldDelimitersAndQuotedPairs()
    {
        var elements = ForwardedHeader.Parse("for=\"a,b;c\\\"d\";proto=https , , ;; for=1.2.3.4 ; ext=\"x\"");

        Assert.Equal([new ForwardedElement("a,b;c\"d", "https", null), new ForwardedElement("1.2.3.4", null, null)], elements);
    }

    [Theory]
    [InlineData("for=1.2.3.4;for=5.6.7.8")]
    [InlineData("proto=http;PROTO=https")]
    [InlineData("for")]
    [InlineData("for=")]
    [InlineData("for=\"1.2.3.4")]
    [InlineData("for=1.2.3.4 x=y")]
    [InlineData("=1.2.3.4")]
    [InlineData("for=\"a\u0001\"")]
    public void AMalformedHeaderIsNotReadAtAll(string header)
    {
        Assert.Null(ForwardedHeader.Parse(header));
    }

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("example.com:8443", true)]
    [InlineData("[::1]:8000", true)]
    [InlineData("[::1]", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("", false)]
    [InlineData("exa mple.com", false)]
    [InlineData("example.com/path", false)]
    [InlineData("user@example.com", false)]
    [InlineData("example.com:http", false)]
    [InlineData("example.com:99999", false)]
    [InlineData("[::1]x", false)]
    [InlineData("[zz]", false)]
    [InlineData(":80", false)]
    public void AForwardedHostMustBeAHost(string host, bool valid)
    {
        Assert.Equal(valid, HostSyntax.IsValid(host));
    }
}
