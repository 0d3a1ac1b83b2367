using System.Buffers;
using System.Text;
using PyHost.Gateways.Cgi;
using PyHost.Gateways.Tests.Infrastructure;

namespace PyHost.Gateways.Tests.Cgi;

public class CgiResponseReaderTests
{
    [Fact]
    public void ADocumentResponseHasItsStatusHeadersAndTheBodyAfterTheEmptyLine()
    {
        (CgiResponse response, string body) = Read("Status: 404 Not Here\r\nContent-Type: text/plain\r\nX-A: 1\r\n\r\nmissing");

        Assert.Equal(CgiResponseKind.Document, response.Kind);
        Assert.Equal(404, response.StatusCode);
        Assert.Equal("Not Here", response.ReasonPhrase);
        Assert.Equal("text/plain", response.ContentType);
        Assert.Equal([new("Content-Type", "text/plain"), new("X-A", "1")], response.Headers);
        Assert.Equal("missing", body);
    }

    [Theory]
    [InlineData("Content-Type: text/html\n\n<p>hi</p>")]
    [InlineData("Content-Type: text/html\r\n\r\n<p>hi</p>")]
    [InlineData("Content-Type: text/html\r\n\n<p>hi</p>")]
    [InlineData("Content-Type: text/html\n\r\n<p>hi</p>")]
    [InlineData("content-type:text/html   \n\n<p>hi</p>")]
    public void LinesMayEndInLfAloneAsScriptsPrintThem(string output)
    {
        (CgiResponse response, string body) = Read(output);

        Assert.Equal(200, response.StatusCode);
        Assert.Null(response.ReasonPhrase);
        Assert.Equal("text/html", response.ContentType);
        Assert.Equal("<p>hi</p>", body);
    }

    [Theory]
    [InlineData("Status: 404\n\n", 404, null)]
    [InlineData("Status: 404 Not Found\n\n", 404, null)]
    [InlineData("Status: 299 Fine\n\n", 299, "Fine")]
    [InlineData("Status: 200\nContent-Type: text/plain\n\n", 200, null)]
    public void AStatusWithoutReasonOrWithTheStandardOneHasNoReasonOfItsOwn(string output, int code, string? reason)
    {
        (CgiResponse response, _) = Read(output);

        Assert.Equal(code, response.StatusCode);
        Assert.Equal(reason, response.ReasonPhrase);
        Assert.DoesNotContain(response.Headers, field => field.Key == "Status");
    }

    [Theory]
    [InlineData("Location: /other?x=1\n\n")]
    [InlineData("Location: /other?x=1\nStatus: 200 OK\n\n")]
    [InlineData("Location: /other?x=1\nX-Ignored: yes\n\nignored body")]
    public void ALocalPathWithoutAnotherStatusIsALocalRedirect(string output)
    {
        (CgiResponse response, _) = Read(output);

        Assert.Equal(CgiResponseKind.LocalRedirect, response.Kind);
        Assert.Equal("/other?x=1", response.Location);
        Assert.DoesNotContain(response.Headers, field => field.Key == "Location");
    }

    [Theory]
    [InlineData("Location: https://example.com/next\n\n")]
    [InlineData("Location: https://example.com/next\nStatus: 200\n\n")]
    [InlineData("Location: relative/path\n\n")]
    public void AnotherLocationWithoutStatusIsAClientRedirectThatTheServerAnswers302(string output)
    {
        (CgiResponse response, _) = Read(output);

        Assert.Equal(CgiResponseKind.ClientRedirect, response.Kind);
        Assert.Equal(302, response.StatusCode);
        Assert.Contains(response.Headers, field => field.Key == "Location" && field.Value == response.Location);
    }

    [Theory]
    [InlineData("Location: https://example.com/next\nStatus: 301 Moved Permanently\nContent-Type: text/html\n\nmoved", 301)]
    [InlineData("Status: 303 See Other\nLocation: /local/but/explicit\n\nsee", 303)]
    public void ALocationWithAChosenStatusIsAClientRedirectWithDocument(string output, int code)
    {
        (CgiResponse response, string body) = Read(output);

        Assert.Equal(CgiResponseKind.ClientRedirectWithDocument, response.Kind);
        Assert.Equal(code, response.StatusCode);
        Assert.NotEmpty(body);
    }

    [Theory]
    [InlineData("Connection: close\nTransfer-Encoding: chunked\nKeep-Alive: 5\nContent-Type: a/b\n\n")]
    public void HopByHopFieldsAreTheServersAndAreLeftOut(string output)
    {
        (CgiResponse response, _) = Read(output);

        Assert.Equal([new("Content-Type", "a/b")], response.Headers);
    }

    [Fact]
    public void RepeatedOrdinaryFieldsAreKeptInOrder()
    {
        (CgiResponse response, _) = Read("Set-Cookie: a=1\nContent-Type: text/plain\nSet-Cookie: b=2\nContent-Length: 0\n\n");

        Assert.Equal([new("Set-Cookie", "a=1"), new("Content-Type", "text/plain"), new("Set-Cookie", "b=2"), new("Content-Length", "0")], response.Headers);
        Assert.Equal(0, response.ContentLength);
    }

    public static TheoryData<string> Outputs => new()
    {
        "Content-Type: text/plain\r\nX-Long: " + new string('y', 600) + "\r\n\r\nbody",
        "Status: 302 Found\nLocation: http://x/\nContent-Type: text/html\n\n<a>",
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void EveryPrefixNeedsMoreAndEverySplitReadsTheSame(string output)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(output);
        int headEnd = output.IndexOf("\n\n", StringComparison.Ordinal) is >= 0 and var lf ? lf + 2 : output.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        (CgiResponse whole, _) = Read(output);

        for (int length = 0; length < headEnd; length++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, length));
            Assert.Equal(OperationStatus.NeedMoreData, CgiResponseReader.TryRead(ref reader, CgiResponseLimits.Default, out _, out _));
            Assert.Equal(0, reader.Consumed);
        }
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            var reader = new SequenceReader<byte>(Sequences.Split(bytes, cut));
            Assert.Equal(OperationStatus.Done, CgiResponseReader.TryRead(ref reader, CgiResponseLimits.Default, out CgiResponse? response, out _));
            Assert.Equal(headEnd, reader.Consumed);
            Assert.Equal(whole.Headers, response!.Headers);
            Assert.Equal(whole.StatusCode, response.StatusCode);
        }
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "\nbody", "starts with an empty line" },
        { "\r\n\r\nbody", "starts with an empty line" },
        { "Hello world\n\n", "line 1 of the script's headers is not a header field: 'Hello world'" },
        { "Content-Type: text/plain\nnot a header\n\n", "line 2 of the script's headers is not a header field" },
        { "HTTP/1.1 200 OK\nContent-Type: text/plain\n\n", "non-parsed-header (nph) output is not supported" },
        { "Content-Type: text/plain\n folded\n\n", "line 2 of the script's headers is folded" },
        { "Bad Name: x\n\n", "invalid header name 'Bad Name'" },
        { ": x\n\n", "invalid header name ''" },
        { "X-A: a\rb\n\n", "control character" },
        { "X-A: a\0b\n\n", "control character" },
        { "Status: 200 OK\nStatus: 404\n\n", "the script sent Status twice" },
        { "Location: /a\nlocation: /b\n\n", "the script sent Location twice" },
        { "Content-Type: a/b\nContent-type: c/d\n\n", "the script sent Content-Type twice" },
        { "Status: OK\n\n", "invalid Status 'OK'" },
        { "Status: 20\n\n", "invalid Status '20'" },
        { "Status: 2000\n\n", "invalid Status '2000'" },
        { "Status: 100 Continue\n\n", "Status 100 from the script cannot be a final response" },
        { "Content-Length: x\n\n", "invalid Content-Length 'x'" },
        { "Content-Length: 1\nContent-Length: 2\n\n", "invalid Content-Length '2'" },
        { "X-Many: 1\nX-Many: 1\nX-Many: 1\nX-Many: 1\n\n", "more than 3 header fields" },
        { "X-Long: " + new string('x', 300) + "\n\n", "longer than 256 bytes" },
        { "X-Long: " + new string('x', 300), "longer than 256 bytes" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void OutputThatIsNotACgiResponseIsRefusedSayingWhy(string output, string expectedError)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(output)));
        var limits = new CgiResponseLimits { MaxHeaderBytes = 256, MaxHeaderCount = 3 };

        OperationStatus status = CgiResponseReader.TryRead(ref reader, limits, out CgiResponse? response, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(response);
        Assert.Contains(expectedError, error);
        Assert.Equal(0, reader.Consumed);
    }

    private static (CgiResponse Response, string Body) Read(string output)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(output)));
        OperationStatus status = CgiResponseReader.TryRead(ref reader, CgiResponseLimits.Default, out CgiResponse? response, out string? error);
        Assert.True(status == OperationStatus.Done, error);
        return (response!, Encoding.Latin1.GetString(reader.UnreadSequence.ToArray()));
    }
}
