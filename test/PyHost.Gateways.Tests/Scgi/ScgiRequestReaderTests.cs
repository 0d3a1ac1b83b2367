using System.Buffers;
using System.Text;
using PyHost.Gateways.Scgi;
using PyHost.Gateways.Tests.Infrastructure;

namespace PyHost.Gateways.Tests.Scgi;

public class ScgiRequestReaderTests
{
    public static TheoryData<string> CapturedRequests => Captures.Named(
        "nginx-scgi/get", "nginx-scgi/post", "nginx-scgi/mounted",
        "apache-scgi/get", "apache-scgi/post", "apache-scgi/mounted",
        "lighttpd-scgi/get", "lighttpd-scgi/post", "lighttpd-scgi/mounted");

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void TryReadReadsARequestCapturedFromTheFrontServerAndStopsAtItsBody(string capture)
    {
        byte[] bytes = Captures.Load(capture);

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        OperationStatus status = ScgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out CgiVariables? variables,
            out long contentLength, out string? error);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Null(error);
        Assert.Equal("CONTENT_LENGTH", variables!.ToLatin1Pairs()[0].Key);
        Assert.Equal("1", variables.GetLatin1("SCGI"));
        Assert.Equal(capture.EndsWith("post") ? "POST" : "GET", variables.GetLatin1("REQUEST_METHOD"));
        Assert.Equal(capture.EndsWith("post") ? 7 : 0, contentLength);
        Assert.Equal(contentLength, reader.Remaining);
    }

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void TryReadNeedsMoreDataOnEveryPrefixAndConsumesNothing(string capture)
    {
        byte[] bytes = Captures.Load(capture);
        int headEnd = bytes.Length - (capture.EndsWith("post") ? 7 : 0);

        for (int length = 0; length < headEnd; length++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, length));
            OperationStatus status = ScgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out CgiVariables? variables, out _, out _);

            Assert.True(status == OperationStatus.NeedMoreData, $"prefix of {length} bytes: {status}");
            Assert.Equal(0, reader.Consumed);
            Assert.Null(variables);
        }
    }

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void TryReadReadsTheSameHeadersWhereverTheBytesAreSplit(string capture)
    {
        byte[] bytes = Captures.Load(capture);
        List<KeyValuePair<string, string>> whole = Read(new ReadOnlySequence<byte>(bytes));

        for (int cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(whole, Read(Sequences.Split(bytes, cut)));
        }
    }

    [Fact]
    public void TheSpecExampleReadsAsItsThreeHeadersAndBody()
    {
        // The example of the SCGI spec §6, with its 27-byte body.
        byte[] bytes = Encoding.ASCII.GetBytes(
            "70:CONTENT_LENGTH\027\0SCGI\01\0REQUEST_METHOD\0POST\0REQUEST_URI\0/deepthought\0,What is the answer to life?");

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.Equal(OperationStatus.Done, ScgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out CgiVariables? variables, out long length, out _));

        Assert.Equal(
            [new("CONTENT_LENGTH", "27"), new("SCGI", "1"), new("REQUEST_METHOD", "POST"), new("REQUEST_URI", "/deepthought")],
            variables!.ToLatin1Pairs());
        Assert.Equal(27, length);
        Assert.Equal("What is the answer to life?", Encoding.ASCII.GetString(reader.UnreadSequence.ToArray()));
    }

    [Fact]
    public void WriterOutputReadsBackAsTheSameHeaders()
    {
        var output = new ArrayBufferWriter<byte>();
        ScgiRequestWriter.Write(output, 12, [new("REQUEST_METHOD", "POST"), new("PATH_INFO", "/\u00FF"), new("EMPTY", "")]);

        Assert.Equal(
            [new("CONTENT_LENGTH", "12"), new("SCGI", "1"), new("REQUEST_METHOD", "POST"), new("PATH_INFO", "/\u00FF"), new("EMPTY", "")],
            Read(new ReadOnlySequence<byte>(output.WrittenMemory)));
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "x:", "starts with a netstring" },
        { ":", "starts with a netstring" },
        { "024:CONTENT_LENGTH\00\0SCGI\01\0,", "no leading zero" },
        { "1234567890:", "starts with a netstring" },
        { "24:CONTENT_LENGTH\00\0SCGI\01\0;", "does not end with ','" },
        { "24:CONTENT_LENGTH\00\0SCGI\01\0X", "does not end with ','" },
        { "99999:", "SCGI headers of 99999 bytes are over the limit of 1024" },
        { "24:SCGI\01\0CONTENT_LENGTH\00\0,", "first SCGI header must be CONTENT_LENGTH, not SCGI" },
        { "0:,", "first SCGI header must be CONTENT_LENGTH, not nothing" },
        { "17:CONTENT_LENGTH\00\0,", "no SCGI=1 header" },
        { "24:CONTENT_LENGTH\00\0SCGI\02\0,", "no SCGI=1 header" },
        { "25:CONTENT_LENGTH\0-1\0SCGI\01\0,", "CONTENT_LENGTH '-1' is not a length" },
        { "23:CONTENT_LENGTH\0\0SCGI\01\0,", "CONTENT_LENGTH '' is not a length" },
        { "43:CONTENT_LENGTH\099999999999999999999\0SCGI\01\0,", "CONTENT_LENGTH '99999999999999999999' is not a length" },
        { "23:CONTENT_LENGTH\00\0SCGI\01,", "not NUL-terminated" },
        { "16:CONTENT_LENGTH\00,", "not NUL-terminated" },
        { "27:CONTENT_LENGTH\00\0SCGI\01\0\0x\0,", "empty name" },
        { "32:CONTENT_LENGTH\00\0SCGI\01\0A\0a\0B\0b\0,", "more than 3 SCGI headers" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryReadRefusesAMalformedRequestSayingWhy(string text, string expectedError)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(text);
        var limits = new GatewayLimits { MaxVariablesBytes = 1024, MaxVariableCount = 3 };

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        OperationStatus status = ScgiRequestReader.TryRead(ref reader, limits, out CgiVariables? variables, out _, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(variables);
        Assert.Contains(expectedError, error);
        Assert.Equal(0, reader.Consumed);
    }

    private static List<KeyValuePair<string, string>> Read(ReadOnlySequence<byte> bytes)
    {
        var reader = new SequenceReader<byte>(bytes);
        Assert.Equal(OperationStatus.Done, ScgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out CgiVariables? variables, out _, out _));
        return variables!.ToLatin1Pairs();
    }
}
