using System.Buffers;
using System.Text;
using PyHost.Gateways.Tests.Infrastructure;
using PyHost.Gateways.Uwsgi;

namespace PyHost.Gateways.Tests.Uwsgi;

public class UwsgiRequestReaderTests
{
    public static TheoryData<string> CapturedRequests => Captures.Named(
        "nginx-uwsgi/get", "nginx-uwsgi/post", "nginx-uwsgi/mounted",
        "apache-uwsgi/get", "apache-uwsgi/post", "apache-uwsgi/mounted");

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void TryReadReadsARequestCapturedFromTheFrontServerAndStopsAtItsBody(string capture)
    {
        byte[] bytes = Captures.Load(capture);

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.Equal(OperationStatus.Done, UwsgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out UwsgiRequest? request, out string? error));

        Assert.Null(error);
        Assert.Equal(0, request!.Header.Modifier1);
        Assert.Equal(UwsgiPacketHeader.Size + request.Header.DataSize, reader.Consumed);
        Assert.Equal(capture.EndsWith("post") ? "POST" : "GET", request.Variables.GetLatin1("REQUEST_METHOD"));
        Assert.Equal(request.Variables.GetLatin1("CONTENT_LENGTH") is { Length: > 0 } length ? int.Parse(length) : 0, reader.Remaining);
    }

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void TryReadNeedsMoreDataOnEveryPrefixAndConsumesNothing(string capture)
    {
        byte[] bytes = Captures.Load(capture);
        int headEnd = UwsgiPacketHeader.Size + UwsgiPacketHeader.Read(bytes).DataSize;

        for (int length = 0; length < headEnd; length++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, length));
            OperationStatus status = UwsgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out UwsgiRequest? request, out _);

            Assert.True(status == OperationStatus.NeedMoreData, $"prefix of {length} bytes: {status}");
            Assert.Equal(0, reader.Consumed);
            Assert.Null(request);
        }
    }

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void TryReadReadsTheSameVarsWhereverTheBytesAreSplit(string capture)
    {
        byte[] bytes = Captures.Load(capture);
        List<KeyValuePair<string, string>> whole = Read(new ReadOnlySequence<byte>(bytes));

        for (int cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(whole, Read(Sequences.Split(bytes, cut)));
        }
    }

    [Fact]
    public void TryReadKeepsRepeatedVarsInOrderAsNginxSendsThem()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Captures.Load("nginx-uwsgi/get")));
        UwsgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out UwsgiRequest? request, out _);

        List<KeyValuePair<string, string>> pairs = request!.Variables.ToLatin1Pairs();
        Assert.Equal(["a=1", "b=2"], pairs.Where(pair => pair.Key == "HTTP_COOKIE").Select(pair => pair.Value));
        Assert.Equal("/hello/w\u00C3\u00B6rld", request.Variables.GetLatin1("PATH_INFO"));
    }

    [Fact]
    public void WriterOutputReadsBackAsTheSameVars()
    {
        KeyValuePair<string, string>[] vars =
        [
            new("REQUEST_METHOD", "PUT"), new("PATH_INFO", "/caf\u00E9"), new("EMPTY", ""),
            new("LONG", new string('x', 300)), new("HTTP_X", "1"), new("HTTP_X", "2"),
        ];
        var output = new ArrayBufferWriter<byte>();
        UwsgiRequestWriter.Write(output, vars);

        Assert.Equal(vars, Read(new ReadOnlySequence<byte>(output.WrittenMemory)));
    }

    [Fact]
    public void ContentLengthBodyTakesExactlyTheBodyAndLeavesWhatFollows()
    {
        byte[] bytes = Captures.Load("nginx-uwsgi/post").Concat("NEXT"u8.ToArray()).ToArray();
        var reader = new SequenceReader<byte>(Sequences.Split(bytes, bytes.Length - 6));
        UwsgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out UwsgiRequest? request, out _);
        Assert.True(GatewayRequest.TryCreate(request!.Variables, out GatewayRequest? gateway, out _));

        var body = new ContentLengthBody(gateway!.ContentLength!.Value);
        var received = new List<byte>();
        while (body.TryRead(ref reader, out ReadOnlySequence<byte> chunk))
        {
            received.AddRange(chunk.ToArray());
        }

        Assert.True(body.IsComplete);
        Assert.Equal("a=1&b=2", Encoding.ASCII.GetString(received.ToArray()));
        Assert.Equal("NEXT", Encoding.ASCII.GetString(reader.UnreadSequence.ToArray()));
    }

    public static TheoryData<string, string> Malformed => new()
    {
        // modifier1, datasize (LE), modifier2, then the vars block.
        { "05 00 00 00", "modifier1 5: PyHost serves WSGI requests only" },
        { "48 00 00 00", "modifier1 72" },
        { "00 04 00 00 05 00 61 62", "runs past the end of the 4-byte vars block" },
        { "00 08 00 00 01 00 61 05 00 62 63 64", "runs past the end of the 8-byte vars block" },
        { "00 01 00 00 01", "runs past the end of the 1-byte vars block" },
        { "00 03 00 00 01 00 61", "runs past the end of the 3-byte vars block" },
        { "00 04 00 00 00 00 00 00", "empty name" },
        { "00 FF FF 00", "vars block of 65535 bytes is over the limit of 1024" },
        { "00 0F 00 00 01 00 61 00 00 01 00 62 00 00 01 00 63 00 00", "more than 2 uwsgi vars" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryReadRefusesAMalformedPacketSayingWhy(string hex, string expectedError)
    {
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", ""));
        var limits = new GatewayLimits { MaxVariablesBytes = 1024, MaxVariableCount = 2 };

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        OperationStatus status = UwsgiRequestReader.TryRead(ref reader, limits, out UwsgiRequest? request, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(request);
        Assert.Contains(expectedError, error);
        Assert.Equal(0, reader.Consumed);
    }

    private static List<KeyValuePair<string, string>> Read(ReadOnlySequence<byte> bytes)
    {
        var reader = new SequenceReader<byte>(bytes);
        Assert.Equal(OperationStatus.Done, UwsgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out UwsgiRequest? request, out _));
        return request!.Variables.ToLatin1Pairs();
    }
}
