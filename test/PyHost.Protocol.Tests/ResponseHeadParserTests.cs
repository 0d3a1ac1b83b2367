using System.Buffers;
using System.Text;
using PyHost.Protocol.Tests.Infrastructure;

namespace PyHost.Protocol.Tests;

// Payloads are written as C# strings read as latin-1, with "\0" between fields as on the wire.
public class ResponseHeadParserTests
{
    [Fact]
    public void TryParseReadsAStatusAndItsHeaders()
    {
        ResponseHead head = Parsed("200 OK\0Content-Type\0text/plain\0X-Request-Id\0abc123");

        Assert.Equal(200, head.StatusCode);
        Assert.Equal([new("Content-Type", "text/plain"), new("X-Request-Id", "abc123")], head.Headers);
        Assert.Null(head.ContentLength);
    }

    [Theory]
    [InlineData("200 OK")]
    [InlineData("404 Not Found")]
    [InlineData("500 Internal Server Error")]
    [InlineData("404")]
    public void TryParseDropsAStandardOrMissingReasonPhraseToNull(string status)
    {
        ResponseHead head = Parsed(status);

        Assert.Equal(int.Parse(status[..3]), head.StatusCode);
        Assert.Null(head.ReasonPhrase);
        Assert.Empty(head.Headers);
    }

    [Theory]
    [InlineData("200 Everything Is Fine", 200, "Everything Is Fine")]
    [InlineData("404 Nothing Here", 404, "Nothing Here")]
    [InlineData("299 Custom", 299, "Custom")]
    [InlineData("200 Caf\u00E9\tOK", 200, "Caf\u00E9\tOK")]
    public void TryParseKeepsACustomReasonPhrase(string status, int code, string reason)
    {
        ResponseHead head = Parsed(status);

        Assert.Equal(code, head.StatusCode);
        Assert.Equal(reason, head.ReasonPhrase);
    }

    [Fact]
    public void TryParseKeepsRepeatedSetCookieFieldsInOrder()
    {
        ResponseHead head = Parsed("200 OK\0Set-Cookie\0a=1\0Content-Type\0text/html\0set-cookie\0b=2\0SET-COOKIE\0c=3");

        Assert.Equal(
            [new("Set-Cookie", "a=1"), new("Content-Type", "text/html"), new("Set-Cookie", "b=2"), new("Set-Cookie", "c=3")],
            head.Headers);
    }

    [Theory]
    [InlineData("Content-Length", "0", 0L)]
    [InlineData("Content-Length", "42", 42L)]
    [InlineData("content-length", "1234567890123", 1234567890123L)]
    [InlineData("CONTENT-LENGTH", "7", 7L)]
    public void TryParseReadsContentLength(string name, string value, long expected)
    {
        ResponseHead head = Parsed($"200 OK\0{name}\0{value}");

        Assert.Equal(expected, head.ContentLength);
        Assert.Equal(new KeyValuePair<string, string>("Content-Length", value), Assert.Single(head.Headers));
    }

    [Fact]
    public void TryParseAcceptsTheSameContentLengthTwice()
    {
        ResponseHead head = Parsed("200 OK\0Content-Length\05\0Content-Length\05");

        Assert.Equal(5, head.ContentLength);
    }

    [Theory]
    [InlineData("content-type", "Content-Type")]
    [InlineData("CONTENT-TYPE", "Content-Type")]
    [InlineData("set-cookie", "Set-Cookie")]
    [InlineData("etag", "ETag")]
    [InlineData("www-authenticate", "WWW-Authenticate")]
    [InlineData("LOCATION", "Location")]
    [InlineData("x-content-type-options", "X-Content-Type-Options")]
    [InlineData("x-my-header", "x-my-header")]
    [InlineData("X-My-Header", "X-My-Header")]
    public void TryParseSpellsCommonNamesCanonicallyAndKeepsOthersAsSent(string sent, string expected)
    {
        ResponseHead head = Parsed($"200 OK\0{sent}\0v");

        Assert.Equal(expected, Assert.Single(head.Headers).Key);
    }

    [Theory]
    [InlineData("a\tb")]
    [InlineData("\t")]
    [InlineData("caf\u00E9 \u0080\u00FF")]
    [InlineData("")]
    [InlineData(" spaced out ")]
    public void TryParseAllowsHtabObsTextAndEmptyValues(string value)
    {
        ResponseHead head = Parsed($"200 OK\0X-Value\0{value}\0X-After\0ok");

        Assert.Equal([new("X-Value", value), new("X-After", "ok")], head.Headers);
    }

    [Fact]
    public void TryParseAcceptsAnEmptyValueAtTheEnd()
    {
        ResponseHead head = Parsed("200 OK\0X-Empty\0");

        Assert.Equal(new KeyValuePair<string, string>("X-Empty", ""), Assert.Single(head.Headers));
    }

    [Fact]
    public void TryParseClearsWhatAnEarlierParseLeftInTheHead()
    {
        var head = new ResponseHead();
        Assert.True(ResponseHeadParser.TryParse(Bytes("418 Teapot\0Content-Length\03\0X-A\0a"), head, out _));

        Assert.True(ResponseHeadParser.TryParse(Bytes("204"), head, out _));

        Assert.Equal(204, head.StatusCode);
        Assert.Null(head.ReasonPhrase);
        Assert.Null(head.ContentLength);
        Assert.Empty(head.Headers);
    }

    [Theory]
    [InlineData("", "invalid status line ''")]
    [InlineData("20 OK", "invalid status line '20 OK'")]
    [InlineData("abc", "invalid status line 'abc'")]
    [InlineData("2000 OK", "invalid status line '2000 OK'")]
    [InlineData("200OK", "invalid status line '200OK'")]
    [InlineData(" 200 OK", "invalid status line ' 200 OK'")]
    [InlineData("2x0 OK", "invalid status line '2x0 OK'")]
    [InlineData("100 Continue", "status 100 cannot be a final response")]
    [InlineData("101 Switching Protocols", "status 101 cannot be a final response")]
    [InlineData("103 Early Hints", "status 103 cannot be a final response")]
    [InlineData("199 Whatever", "status 199 cannot be a final response")]
    [InlineData("099 Low", "status 99 cannot be a final response")]
    [InlineData("200 O\u0001K", "status line contains a control character")]
    [InlineData("200 OK\r", "status line contains a control character")]
    [InlineData("200 O\nK", "status line contains a control character")]
    [InlineData("200 O\u007FK", "status line contains a control character")]
    public void TryParseRefusesABadStatusLineSayingWhy(string payload, string expectedError)
    {
        AssertRefused(payload, expectedError);
    }

    [Theory]
    [InlineData("a\rb")]
    [InlineData("a\nb")]
    [InlineData("a\r\nInjected: yes")]
    [InlineData("\r")]
    [InlineData("a\u0001b")]
    [InlineData("a\u001Fb")]
    [InlineData("a\u007Fb")]
    public void TryParseRefusesAControlCharacterInAValue(string value)
    {
        AssertRefused($"200 OK\0X-Bad\0{value}", "header 'X-Bad' has a control character (CR, LF or NUL) in its value");
    }

    [Fact]
    public void TryParseRefusesANulInAValueBecauseItShiftsTheFields()
    {
        // On the wire a NUL inside a value cannot be told from a separator; "a\0b" leaves the name "b" without a
        // value. (The worker already refuses such a header before it sends the frame.)
        AssertRefused("200 OK\0X-Bad\0a\0b", "a header name has no value");
    }

    [Theory]
    [InlineData("X Bad")]
    [InlineData("X-Bad:")]
    [InlineData("X-Caf\u00E9")]
    [InlineData("")]
    [InlineData("X-Bad\t")]
    [InlineData("(X)")]
    [InlineData("X\"Q\"")]
    public void TryParseRefusesANameThatIsNotAToken(string name)
    {
        AssertRefused($"200 OK\0Content-Type\0text/plain\0{name}\0value", $"invalid header name '{name}'");
    }

    public static TheoryData<string> HopByHopNamesInEveryCase()
    {
        var data = new TheoryData<string>();
        string[] names =
        [
            "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
            "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Trailers",
        ];
        foreach (string name in names.SelectMany(n => new[] { n, n.ToLowerInvariant(), n.ToUpperInvariant() }).Distinct())
        {
            data.Add(name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(HopByHopNamesInEveryCase))]
    public void TryParseRefusesAHopByHopHeader(string name)
    {
        AssertRefused($"200 OK\0{name}\0value", $"hop-by-hop header '{name}'");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1.0")]
    [InlineData("1,1")]
    [InlineData("")]
    [InlineData("99999999999999999999")]
    public void TryParseRefusesAContentLengthThatIsNotANumber(string value)
    {
        AssertRefused($"200 OK\0Content-Length\0{value}", $"invalid Content-Length '{value}'");
    }

    [Fact]
    public void TryParseRefusesTwoDifferentContentLengths()
    {
        AssertRefused("200 OK\0Content-Length\05\0content-length\06", "invalid Content-Length '6'");
    }

    [Theory]
    [InlineData("200 OK\0")]
    [InlineData("200 OK\0Content-Type")]
    [InlineData("200 OK\0Content-Type\0text/plain\0X-Lonely")]
    [InlineData("200 OK\0Content-Type\0text/plain\0")]
    public void TryParseRefusesANameWithoutAValue(string payload)
    {
        AssertRefused(payload, "a header name has no value");
    }

    public static TheoryData<string> PayloadsForSegmentTests() => new(
        "200 OK\0Content-Type\0text/plain\0Set-Cookie\0a=1\0Set-Cookie\0b=2\0Content-Length\012",
        "201 Made It\0X-Obs\0caf\u00E9",
        "200 OK\0Connection\0close",
        "20 OK",
        "200 OK\0X-Lonely");

    [Theory]
    [MemberData(nameof(PayloadsForSegmentTests))]
    public void TryParseOfAMultiSegmentPayloadGivesWhatTheSingleSegmentGives(string payload)
    {
        byte[] bytes = Bytes(payload);
        var single = new ResponseHead();
        bool singleOk = ResponseHeadParser.TryParse(new ReadOnlySequence<byte>(bytes), single, out string? singleError);

        for (int cut = 1; cut < bytes.Length; cut++)
        {
            foreach (ReadOnlySequence<byte> split in new[] { Sequences.Split(bytes, cut), Sequences.OneBytePerSegment(bytes) })
            {
                var head = new ResponseHead();
                bool ok = ResponseHeadParser.TryParse(split, head, out string? error);

                Assert.Equal(singleOk, ok);
                Assert.Equal(singleError, error);
                Assert.Equal(single.StatusCode, head.StatusCode);
                Assert.Equal(single.ReasonPhrase, head.ReasonPhrase);
                Assert.Equal(single.ContentLength, head.ContentLength);
                Assert.Equal(single.Headers, head.Headers);
            }
        }
    }

    [Fact]
    public void TryParseOfAMultiSegmentPayloadReadsEveryField()
    {
        byte[] bytes = Bytes("201 Made It\0Content-Type\0text/plain\0Content-Length\012");
        var head = new ResponseHead();

        Assert.True(ResponseHeadParser.TryParse(Sequences.OneBytePerSegment(bytes), head, out string? error), error);

        Assert.Equal(201, head.StatusCode);
        Assert.Equal("Made It", head.ReasonPhrase);
        Assert.Equal(12, head.ContentLength);
        Assert.Equal([new("Content-Type", "text/plain"), new("Content-Length", "12")], head.Headers);
    }

    private static ResponseHead Parsed(string payload)
    {
        var head = new ResponseHead();
        Assert.True(ResponseHeadParser.TryParse(Bytes(payload), head, out string? error), $"refused: {error}");
        Assert.Null(error);
        return head;
    }

    private static void AssertRefused(string payload, string expectedError)
    {
        var head = new ResponseHead();
        Assert.False(ResponseHeadParser.TryParse(Bytes(payload), head, out string? error));
        Assert.NotNull(error);
        Assert.Contains(expectedError, error);
    }

    private static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);
}
