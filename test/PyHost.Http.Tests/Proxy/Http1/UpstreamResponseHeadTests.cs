using System.Text;
using PyHost.Http.Proxy.Http1;

namespace PyHost.Http.Tests.Proxy.Http1;

/// <summary>The response head codec, on every prefix of its input: nothing until the head is whole, then all of it.</summary>
public sealed class UpstreamResponseHeadTests
{
    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>Every proper prefix is "not yet"; the whole input parses and consumes exactly the head.</summary>
    private static UpstreamResponseHead ParseOnEveryPrefix(string head, string after = "")
    {
        byte[] input = Bytes(head + after);
        for (int length = 0; length < head.Length; length++)
        {
            Assert.Null(UpstreamResponseHead.TryParse(input.AsSpan(0, length), out int none));
            Assert.Equal(0, none);
        }
        for (int length = head.Length; length <= input.Length; length++)
        {
            UpstreamResponseHead? parsed = UpstreamResponseHead.TryParse(input.AsSpan(0, length), out int consumed);
            Assert.NotNull(parsed);
            Assert.Equal(head.Length, consumed);
        }
        return UpstreamResponseHead.TryParse(input, out _)!;
    }

    [Fact]
    public void AHeadWithFieldsParsesWithItsFieldsInOrder()
    {
        UpstreamResponseHead head = ParseOnEveryPrefix(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length:  13 \r\n\r\n", "Hello, World!");

        Assert.Equal(200, head.Status);
        Assert.False(head.IsHttp10);
        Assert.Equal([new("Content-Type", "text/plain"), new("Set-Cookie", "a=1"), new("Set-Cookie", "b=2"), new("Content-Length", "13")], head.Fields);
        Assert.Equal(13, head.ContentLength);
        Assert.Equal(UpstreamBodyFraming.ContentLength, head.Framing(headRequest: false));
        Assert.Equal(UpstreamBodyFraming.None, head.Framing(headRequest: true));
        Assert.False(head.WillClose);
    }

    [Fact]
    public void BareLineFeedsEndLinesToo()
    {
        UpstreamResponseHead head = ParseOnEveryPrefix("HTTP/1.1 404 Not Found\nContent-Length: 0\n\n");
        Assert.Equal(404, head.Status);
        Assert.Equal(0, head.ContentLength);
    }

    [Fact]
    public void AStatusLineWithoutReasonOrFieldsParses()
    {
        UpstreamResponseHead head = ParseOnEveryPrefix("HTTP/1.1 204\r\n\r\n");
        Assert.Equal(204, head.Status);
        Assert.Empty(head.Fields);
        Assert.Equal(UpstreamBodyFraming.None, head.Framing(headRequest: false));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", UpstreamBodyFraming.Chunked, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", UpstreamBodyFraming.Chunked, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", UpstreamBodyFraming.UntilClose, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", UpstreamBodyFraming.Chunked, true)]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", UpstreamBodyFraming.UntilClose, false)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", UpstreamBodyFraming.ContentLength, true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", UpstreamBodyFraming.ContentLength, true)]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n", UpstreamBodyFraming.ContentLength, false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", UpstreamBodyFraming.None, false)]
    [InlineData("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", UpstreamBodyFraming.None, false)]
    public void TheBodysFramingAndTheConnectionsFutureFollowRfc9112(string text, UpstreamBodyFraming framing, bool willClose)
    {
        UpstreamResponseHead head = ParseOnEveryPrefix(text);
        Assert.Equal(framing, head.Framing(headRequest: false));
        Assert.Equal(willClose, head.WillClose);
    }

    [Theory]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 Low\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n")]
    [InlineData("ICY 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n: nameless\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Bell: a\u0007b\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n")]
    public void AMalformedHeadIsRefused(string text)
    {
        Assert.Throws<InvalidDataException>(() => UpstreamResponseHead.TryParse(Bytes(text), out _));
    }

    [Fact]
    public void RepeatedEqualContentLengthsAreOneLength()
    {
        Assert.Equal(7, ParseOnEveryPrefix("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n").ContentLength);
    }

    [Fact]
    public void AHeadLongerThanTheLimitIsRefusedWithoutWaitingForItsEnd()
    {
        byte[] input = Bytes("HTTP/1.1 200 OK\r\nX-Big: " + new string('a', UpstreamResponseHead.MaxBytes));
        Assert.Throws<InvalidDataException>(() => UpstreamResponseHead.TryParse(input, out _));
    }

    [Fact]
    public void Latin1ValuesKeepTheirBytes()
    {
        UpstreamResponseHead head = ParseOnEveryPrefix("HTTP/1.1 200 OK\r\nX-Name: caf\u00e9\r\n\r\n");
        Assert.Equal("caf\u00e9", head.Fields[0].Value);
    }
}
