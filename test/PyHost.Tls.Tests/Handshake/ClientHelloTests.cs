using System.Buffers;
using System.Net.Security;
using PyHost.Tls.Handshake;

namespace PyHost.Tls.Tests.Handshake;

public sealed class ClientHelloTests
{
    /// <summary>The first flight of .NET's own TLS client (OpenSSL underneath), captured from a stream that never answers.</summary>
    private static byte[] RealClientHello(string host, params string[] protocols)
    {
        var capture = new CapturingStream();
        using var tls = new SslStream(capture);
        try
        {
            tls.AuthenticateAsClient(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ApplicationProtocols = protocols.Select(p => new SslApplicationProtocol(p)).ToList(),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
        }
        return capture.Written.ToArray();
    }

    [Fact]
    public void ReadsTheServerNameAndTheOfferedProtocols()
    {
        byte[] hello = RealClientHello("app.example.com", "acme-tls/1");
        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryRead(new ReadOnlySequence<byte>(hello), out ClientHello? parsed));
        Assert.Equal("app.example.com", parsed!.ServerName);
        Assert.Equal(["acme-tls/1"], parsed.Protocols);
        Assert.True(parsed.Offers("acme-tls/1"));
    }

    [Fact]
    public void EveryPrefixNeedsMore()
    {
        byte[] hello = RealClientHello("example.org", "h2", "http/1.1");
        for (int length = 0; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMore, ClientHello.TryRead(new ReadOnlySequence<byte>(hello, 0, length), out _));
        }
        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryRead(new ReadOnlySequence<byte>(hello), out ClientHello? parsed));
        Assert.Equal(["h2", "http/1.1"], parsed!.Protocols);
    }

    [Fact]
    public void AClientHelloSplitOverTwoRecordsIsReadWhole()
    {
        byte[] hello = RealClientHello("split.example", "h2");
        // RFC 8446 §5.1: a handshake message may be fragmented over records. Re-frame the body in two.
        byte[] body = hello[5..];
        int half = body.Length / 2;
        byte[] split = [.. Record(body[..half]), .. Record(body[half..])];
        for (int length = 0; length < split.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMore, ClientHello.TryRead(new ReadOnlySequence<byte>(split, 0, length), out _));
        }
        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryRead(new ReadOnlySequence<byte>(split), out ClientHello? parsed));
        Assert.Equal("split.example", parsed!.ServerName);
    }

    [Fact]
    public void WithoutSniOrAlpnBothAreEmpty()
    {
        byte[] hello = RealClientHello("127.0.0.1");   // an IP address is not sent in SNI (RFC 6066 §3)
        Assert.Equal(ClientHelloStatus.Parsed, ClientHello.TryRead(new ReadOnlySequence<byte>(hello), out ClientHello? parsed));
        Assert.Null(parsed!.ServerName);
        Assert.Empty(parsed.Protocols);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    public void PlainTextIsNotAClientHello(string text) =>
        Assert.Equal(ClientHelloStatus.NotClientHello, ClientHello.TryRead(new ReadOnlySequence<byte>(System.Text.Encoding.ASCII.GetBytes(text)), out _));

    [Fact]
    public void ExtensionsLongerThanTheMessageAreNotAClientHello()
    {
        byte[] hello = RealClientHello("example.org", "h2");
        // Cut the last 3 bytes and shrink the record and handshake lengths to match: the extensions vector now
        // claims more bytes than there are.
        byte[] cut = hello[..^3];
        int record = ((cut[3] << 8) | cut[4]) - 3;
        cut[3] = (byte)(record >> 8);
        cut[4] = (byte)record;
        int message = ((cut[6] << 16) | (cut[7] << 8) | cut[8]) - 3;
        cut[6] = (byte)(message >> 16);
        cut[7] = (byte)(message >> 8);
        cut[8] = (byte)message;
        Assert.Equal(ClientHelloStatus.NotClientHello, ClientHello.TryRead(new ReadOnlySequence<byte>(cut), out _));
    }

    private static byte[] Record(byte[] fragment) => [22, 3, 1, (byte)(fragment.Length >> 8), (byte)fragment.Length, .. fragment];

    private sealed class CapturingStream : Stream
    {
        public MemoryStream Written { get; } = new();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => 0;   // the peer hangs up
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
