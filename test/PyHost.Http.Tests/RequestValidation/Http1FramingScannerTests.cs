using System.Text;
using PyHost.Http.RequestValidation;

namespace PyHost.Http.Tests.RequestValidation;

public class Http1FramingScannerTests
{
    public static TheoryData<string, int> ValidStreams() => new()
    {
        { "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1 },
        { "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: x\r\n\r\n", 2 },
        { "POST /a HTTP/1.1\r\nCONTENT-LENGTH:\t 5 \t\r\n\r\nhello", 1 },
        { "POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 2 },
        { "POST /a HTTP/1.1\r\nContent-Length: 0005\r\n\r\nhello", 1 },
        // Names that start like the two framing fields are other fields.
        { "GET / HTTP/1.1\r\nContent-Language: en\r\nContent-Lengthy: x\r\nTransfer-Encodings: x\r\nTE: trailers\r\nCookie: a\r\n\r\n", 1 },
        // A body that looks like a head is a body.
        { "POST /a HTTP/1.1\r\nContent-Length: 26\r\n\r\nContent-Length: +5\r\n\r\n\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 2 },
        // RFC 9112 §2.2: empty lines before a request line, and bare LF line ends (Kestrel takes both).
        { "\r\n\r\nGET /a HTTP/1.1\nHost: x\n\n\r\nGET /b HTTP/1.1\r\n\r\n", 2 },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 2 },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n00a\r\n0123456789\r\n000\r\n\r\n", 1 },
        // RFC 9112 §7.1.1 chunk extensions: tokens, quoted strings with quoted-pairs and obs-text, BWS around ';' and '='.
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;name\r\nhello\r\n0\r\n\r\n", 1 },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c=\"d e\\\"f\\\\\"\r\nhello\r\n0;last\r\n\r\n", 1 },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 ; a = b ;\tc\t=\t\"\u00e9\"\r\nhello\r\n0\r\n\r\n", 1 },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a ;b\r\nhello\r\n0\r\n\r\n", 1 },
        // Trailers, and Kestrel's bare LF at the end of the trailer section.
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nChecksum: abc\r\nX-T: 1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 2 },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\nGET /b HTTP/1.1\r\n\r\n", 2 },
        // Chunk data may hold anything, CRLF and NUL included.
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\r\n\0;\r\n0\r\n\r\n", 1 },
    };

    [Theory]
    [MemberData(nameof(ValidStreams))]
    public void AValidStreamPassesWhereverItIsCut(string stream, int messages)
    {
        foreach (Http1FramingScanner scanner in ScanInEveryCut(Bytes(stream)))
        {
            Assert.Null(scanner.Violation);
            Assert.Equal(messages, scanner.MessagesCompleted);
            Assert.Equal(Bytes(stream).Length, scanner.Offset);
        }
    }

    // '|' marks the byte the violation is found at; it is removed before scanning.
    public static TheoryData<string, string> InvalidStreams() => new()
    {
        { "POST /a HTTP/1.1\r\nContent-Length: |+5\r\n\r\nhello", "not a decimal number" },
        { "POST /a HTTP/1.1\r\nContent-Length: 5|\0\r\n\r\nhello", "not a decimal number" },
        { "POST /a HTTP/1.1\r\nContent-Length: 5 |x\r\n\r\nhello", "not a decimal number" },
        { "POST /a HTTP/1.1\r\nContent-Length: 5|,5\r\n\r\nhello", "not a decimal number" },
        { "POST /a HTTP/1.1\r\nContent-Length: 0|x5\r\n\r\nhello", "not a decimal number" },
        { "POST /a HTTP/1.1\r\nContent-Length: |\r\n\r\n", "not a decimal number" },
        { "POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length|: 5\r\n\r\nhello", "more than one Content-Length" },
        { "POST /a HTTP/1.1\r\nContent-Length: 999999999999999999|99\r\n\r\n", "too large" },
        { "POST /a HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r|\n0\r\n\r\n", "both Content-Length and Transfer-Encoding" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n|\n0\r\n\r\n", "both Content-Length and Transfer-Encoding" },
        // The second request breaks the rules: the first one's bytes are all before the violation.
        { "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: |+1\r\n\r\nx", "not a decimal number" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=|\0\r\nhello\r\n0\r\n\r\n", "chunk extension contains the byte 0x00" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a|\u0001b\r\nhello\r\n0\r\n\r\n", "the byte 0x01" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"|\u007f\"\r\nhello\r\n0\r\n\r\n", "the byte 0x7F" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a|\nhello\r\n0\r\n\r\n", "the byte 0x0A" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b|\r\nhello\r\n0\r\n\r\n", "the byte 0x0D" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;|\r\nhello\r\n0\r\n\r\n", "the byte 0x0D" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=|\r\nhello\r\n0\r\n\r\n", "the byte 0x0D" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a |\r\nhello\r\n0\r\n\r\n", "the byte 0x0D" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b |\r\nhello\r\n0\r\n\r\n", "the byte 0x0D" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\"|c\r\nhello\r\n0\r\n\r\n", "'c'" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=|@\r\nhello\r\n0\r\n\r\n", "'@'" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0;x=|\0\r\n\r\n", "the byte 0x00" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n|+5\r\nhello\r\n0\r\n\r\n", "not a hexadecimal number" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5|x\r\nhello\r\n0\r\n\r\n", "not a hexadecimal number" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r|xhello\r\n0\r\n\r\n", "does not end with CRLF" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello|XX0\r\n\r\n", "not followed by CRLF" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r|X0\r\n\r\n", "not followed by CRLF" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nF|(o: 1\r\n\r\n", "trailer field name contains '('" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nFoo| : 1\r\n\r\n", "trailer field name contains the byte 0x20" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n|\u0001: 1\r\n\r\n", "trailer field name starts with the byte 0x01" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r|X", "does not end with CRLF" },
        { "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000000000000|00\r\n", "too large" },
    };

    [Theory]
    [MemberData(nameof(InvalidStreams))]
    public void AViolationIsFoundAtItsByteWhereverTheStreamIsCut(string marked, string reason)
    {
        int at = Encoding.Latin1.GetByteCount(marked[..marked.IndexOf('|')]);
        byte[] stream = Bytes(marked.Remove(marked.IndexOf('|'), 1));

        foreach (Http1FramingScanner scanner in ScanInEveryCut(stream))
        {
            Assert.NotNull(scanner.Violation);
            Assert.Contains(reason, scanner.Violation);
            Assert.Equal(at, scanner.ViolationOffset);
            Assert.False(scanner.Scan("GET / HTTP/1.1\r\n\r\n"u8), "a broken stream stays broken");
        }
    }

    [Fact]
    public void AChunkLineLongerThanTheLimitIsRefused()
    {
        string extensions = string.Concat(Enumerable.Repeat(";abcdefgh", Http1FramingScanner.MaxChunkLineBytes / 9 + 1));
        var scanner = new Http1FramingScanner();

        scanner.Scan(Bytes($"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5{extensions}\r\nhello\r\n0\r\n\r\n"));

        Assert.Contains("longer than 4096 bytes", scanner.Violation);
    }

    [Fact]
    public void TheHttp2PrefaceTurnsTheScannerIntoAPassThroughForAnyBytes()
    {
        byte[] stream = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0, .. "Content-Length: +5\r\n\r\n5;\0\r\n"u8];

        foreach (Http1FramingScanner scanner in ScanInEveryCut(stream))
        {
            Assert.True(scanner.IsPassThrough);
            Assert.Null(scanner.Violation);
        }
    }

    [Fact]
    public void ThePrefaceCountsOnlyAsTheFirstBytesOfAConnection()
    {
        var scanner = new Http1FramingScanner();

        Assert.True(scanner.Scan("GET / HTTP/1.1\r\n\r\nPRI * HTTP/2.0\r\n"u8));
        Assert.False(scanner.IsPassThrough);
        Assert.False(scanner.Scan("Content-Length: +5\r\n\r\n"u8));
    }

    [Fact]
    public void ARequestLineThatOnlyStartsLikeThePrefaceIsARequest()
    {
        var scanner = new Http1FramingScanner();

        Assert.False(scanner.Scan("PRIX /a HTTP/1.1\r\nContent-Length: +5\r\n\r\n"u8));
        Assert.False(scanner.IsPassThrough);
    }

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>One scanner per way of cutting the stream: whole, in two at every offset, and one byte at a time.</summary>
    private static IEnumerable<Http1FramingScanner> ScanInEveryCut(byte[] stream)
    {
        var whole = new Http1FramingScanner();
        whole.Scan(stream);
        yield return whole;
        for (int cut = 1; cut < stream.Length; cut++)
        {
            var scanner = new Http1FramingScanner();
            if (scanner.Scan(stream.AsSpan(0, cut)))
            {
                scanner.Scan(stream.AsSpan(cut));
            }
            yield return scanner;
        }
        var bytewise = new Http1FramingScanner();
        foreach (byte b in stream)
        {
            if (!bytewise.Scan([b]))
            {
                break;
            }
        }
        yield return bytewise;
    }
}
