using System.Buffers;
using System.Text;
using PyHost.Gateways.Cgi;
using PyHost.Gateways.Mongrel2;
using PyHost.Gateways.Tests.Infrastructure;

namespace PyHost.Gateways.Tests.Mongrel2;

public class Mongrel2RequestReaderTests
{
    private const string Sender = "54c6755b-9628-40a4-9a2d-cc82a816345e";

    // Headers as Mongrel2 1.9 builds them (src/request.c, Request_to_tnetstring): the client's in lower case, a
    // repeated one as a list, then its own in upper case.
    private static readonly TNetstring Headers = TNetstring.FromEntries([
        new("host", S("example.com:6767")), new("user-agent", S("curl/7.88")),
        new("cookie", TNetstring.FromList([S("a=1"), S("b=2")])), new("content-type", S("text/plain")),
        new("content-length", S("4")), new("x_sneaky", S("1")),
        new("PATH", S("/handler/caf%C3%A9")), new("VERSION", S("HTTP/1.1")), new("URI", S("/handler/caf%C3%A9?q=1")),
        new("QUERY", S("q=1")), new("PATTERN", S("/handler")), new("URL_SCHEME", S("https")), new("METHOD", S("POST")),
        new("REMOTE_ADDR", S("192.0.2.7")),
    ]);

    private static readonly byte[] Message = Build("/handler/caf%C3%A9", Headers, "body"u8);

    [Fact]
    public void ReadReadsTheAddressHeadersAndBody()
    {
        Mongrel2Request request = Read(Message);

        Assert.Equal(Sender, request.Sender);
        Assert.Equal(42, request.ConnectionId);
        Assert.Equal("/handler/caf%C3%A9", request.Path);
        Assert.Equal("a=1, b=2", request.Header("cookie"));
        Assert.Equal("POST", request.Header("METHOD"));
        Assert.Equal("body", Encoding.ASCII.GetString(request.Body.Span));
        Assert.False(request.IsDisconnect);
    }

    [Fact]
    public void TheRequestBecomesTheSameEnvironAsEveryOtherGatewaysRequest()
    {
        Assert.True(GatewayRequest.TryCreate(Read(Message).ToCgiVariables(), out GatewayRequest? request, out string? error), error);
        var output = new ArrayBufferWriter<byte>();
        request!.WriteEnviron(output, scriptName: "/handler");
        Dictionary<string, string> environ = MarshalDict.LoadDictionary(output.WrittenSpan);

        Assert.Equal("POST", environ["REQUEST_METHOD"]);
        Assert.Equal("/handler", environ["SCRIPT_NAME"]);
        Assert.Equal("/caf\u00C3\u00A9", environ["PATH_INFO"]);
        Assert.Equal("q=1", environ["QUERY_STRING"]);
        Assert.Equal("/handler/caf%C3%A9?q=1", environ["REQUEST_URI"]);
        Assert.Equal("https", environ["wsgi.url_scheme"]);
        Assert.Equal("example.com", environ["SERVER_NAME"]);
        Assert.Equal("6767", environ["SERVER_PORT"]);
        Assert.Equal("192.0.2.7", environ["REMOTE_ADDR"]);
        Assert.Equal("a=1, b=2", environ["HTTP_COOKIE"]);
        Assert.Equal("curl/7.88", environ["HTTP_USER_AGENT"]);
        Assert.Equal("4", environ["CONTENT_LENGTH"]);
        Assert.Equal("text/plain", environ["CONTENT_TYPE"]);
        Assert.DoesNotContain(environ.Keys, key => key.Contains("SNEAKY") || key.Contains("PATTERN"));
    }

    [Fact]
    public void TheOlderJsonHeadersReadAsTheSameHeaders()
    {
        string json = """{"PATH":"/handler/x","host":"h","cookie":["a=1","b=2"],"x-caf\u00e9":"\u00e9t\u00e9","METHOD":"GET","URI":"/handler/x"}""";
        byte[] jsonBytes = Encoding.UTF8.GetBytes(json);
        byte[] message = Encoding.ASCII.GetBytes($"{Sender} 7 /handler/x {jsonBytes.Length}:").Concat(jsonBytes).Concat(",0:,"u8.ToArray()).ToArray();

        Mongrel2Request request = Read(message);

        Assert.Equal("GET", request.Header("METHOD"));
        Assert.Equal("a=1, b=2", request.Header("cookie"));
        // Strings come back as their UTF-8 bytes read as latin-1, like every native string.
        Assert.Equal("\u00C3\u00A9t\u00C3\u00A9", request.Header("x-caf\u00C3\u00A9"));
        Assert.True(request.Body.IsEmpty);
    }

    [Theory]
    [InlineData("""{"type":"disconnect"}""", "JSON", true)]
    [InlineData("""{ "id": 3, "type" : "disconnect" }""", "JSON", true)]
    [InlineData("""{"type":"message"}""", "JSON", false)]
    [InlineData("""{"type":"disconnect"}""", "POST", false)]
    [InlineData("""not json""", "JSON", false)]
    public void ADisconnectNoticeIsRecognised(string body, string method, bool isDisconnect)
    {
        TNetstring headers = TNetstring.FromEntries([new("PATH", S("/handler")), new("METHOD", S(method))]);

        Assert.Equal(isDisconnect, Read(Build("/handler", headers, Encoding.ASCII.GetBytes(body))).IsDisconnect);
    }

    [Fact]
    public void EveryPrefixNeedsMoreAndEverySplitReadsTheSame()
    {
        Mongrel2Request whole = Read(Message);

        for (int length = 0; length < Message.Length; length++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Message, 0, length));
            OperationStatus status = Mongrel2RequestReader.TryRead(ref reader, GatewayLimits.Default, 1 << 20, out _, out string? error);
            Assert.True(status == OperationStatus.NeedMoreData, $"prefix of {length} bytes: {status} {error}");
            Assert.Equal(0, reader.Consumed);
        }
        for (int cut = 1; cut < Message.Length; cut++)
        {
            Assert.Equal(OperationStatus.Done, Mongrel2RequestReader.Read(Sequences.Split(Message, cut), GatewayLimits.Default, 1 << 20, out Mongrel2Request? request, out _));
            Assert.Equal(whole.Headers, request!.Headers);
            Assert.Equal(whole.Body.ToArray(), request.Body.ToArray());
        }
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "", "ends before its body does" },
        { $"{Sender} 42 /p 2:}}", "ends before its body does" },
        { $"{Sender} 42 /p 0:}}0:,extra", "5 bytes follow the Mongrel2 message's body" },
        { "not/a/uuid 1 /p 0:}0:,", "sender 'not/a/uuid' is not a UUID" },
        { $"{Sender} x1 /p 0:}}0:,", "connection id 'x1' is not a number" },
        { $"{Sender}  /p 0:}}0:,", "connection id is empty" },
        { $"{Sender} 1 /p 3:abc#0:,", "Mongrel2 headers: tnetstring integer 'abc'" },
        { $"{Sender} 1 /p 0:]0:,", "headers are a tnetstring List, not a dictionary" },
        { $"{Sender} 1 /p 11:1:a,4:true!}}0:,", "header 'a' is a tnetstring Boolean" },
        { $"{Sender} 1 /p 0:}}0:~", "body is a tnetstring Null, not a string" },
        { $"{Sender} 1 /p 0:}}99:", "Mongrel2 body: a tnetstring of 99 bytes is over the limit of 10" },
        { $"{Sender} 1 /p 5:[1,2],0:,", "JSON headers are not an object" },
        { $"{Sender} 1 /p 8:{{\"a\":{{}}}},0:,", "JSON header 'a' is not a string" },
        { $"{Sender} 1 /p 4:{{\"a\",0:,", "not valid JSON" },
        { $"{Sender} 1 /p 5:{{}}xyz,0:,", "not valid JSON" },
        { new string('a', 200) + " 1", "sender UUID is longer than 128 bytes" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void AMalformedMessageIsRefusedSayingWhy(string text, string expectedError)
    {
        OperationStatus status = Mongrel2RequestReader.Read(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)),
            GatewayLimits.Default, maxBodyBytes: 10, out Mongrel2Request? request, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(request);
        Assert.Contains(expectedError, error);
    }

    [Fact]
    public void AResponseIsAddressedToTheSenderAndItsConnections()
    {
        var output = new ArrayBufferWriter<byte>();
        Mongrel2ResponseWriter.WriteAddress(output, Sender, [42, 7, 1000]);
        CgiResponseWriter.Write(output, 200, null, [new("Content-Length", "2")], StatusLineStyle.HttpStatusLine);
        output.Write("hi"u8);
        Mongrel2ResponseWriter.WriteClose(output, Sender, [42]);

        Assert.Equal($"{Sender} 9:42 7 1000, HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi{Sender} 2:42, ",
            Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    public void AResponseNamesOneTo128Connections(int count)
    {
        long[] ids = Enumerable.Range(1, count).Select(i => (long)i).ToArray();

        Assert.Throws<ArgumentException>(() => Mongrel2ResponseWriter.Write(new ArrayBufferWriter<byte>(), Sender, ids, []));
    }

    private static TNetstring S(string text) => TNetstring.FromLatin1(text);

    private static byte[] Build(string path, TNetstring headers, ReadOnlySpan<byte> body)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(Encoding.ASCII.GetBytes($"{Sender} 42 {path} "));
        TNetstringWriter.Write(output, headers);
        TNetstringWriter.WriteString(output, body);
        return output.WrittenSpan.ToArray();
    }

    private static Mongrel2Request Read(byte[] message)
    {
        OperationStatus status = Mongrel2RequestReader.Read(new ReadOnlySequence<byte>(message), GatewayLimits.Default, 1 << 20,
            out Mongrel2Request? request, out string? error);
        Assert.True(status == OperationStatus.Done, error);
        return request!;
    }
}
