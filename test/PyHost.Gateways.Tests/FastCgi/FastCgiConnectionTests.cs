using System.Buffers;
using System.Buffers.Binary;
using PyHost.Gateways.FastCgi;

namespace PyHost.Gateways.Tests.FastCgi;

public class FastCgiConnectionTests
{
    private static readonly KeyValuePair<string, string>[] Params =
    [
        new("REQUEST_METHOD", "POST"), new("REQUEST_URI", "/upload?a=1"), new("CONTENT_LENGTH", "5"),
    ];

    [Fact]
    public void ARequestWithKeepConnGoesThroughEveryStageAndLeavesTheConnectionOpen()
    {
        var events = new FastCgiEvents();

        events.Feed(Request(1, keepConnection: true, Params, "hello"u8.ToArray()));
        var output = new ArrayBufferWriter<byte>();
        bool close = events.Connection.EndRequest(output, 1, appStatus: 0);

        Assert.Equal(
            ["began #1 keep=True", "params #1 REQUEST_METHOD=POST|REQUEST_URI=/upload?a=1|CONTENT_LENGTH=5",
             "stdin #1 68656C6C6F", "stdin end #1"],
            events.Events);
        Assert.False(close);
        Assert.Equal(0, events.Connection.ActiveRequestCount);
        Assert.Equal("0103000100080000" + "0000000000000000", Convert.ToHexString(output.WrittenSpan));
    }

    [Fact]
    public void EndRequestSaysToCloseWhenTheWebServerDidNotSetKeepConn()
    {
        var events = new FastCgiEvents();
        events.Feed(Request(7, keepConnection: false, Params, []));

        var output = new ArrayBufferWriter<byte>();
        Assert.True(events.Connection.EndRequest(output, 7, appStatus: 3, FastCgiProtocolStatus.RequestComplete));

        Assert.Equal("0103000700080000" + "0000000300000000", Convert.ToHexString(output.WrittenSpan));
    }

    [Fact]
    public void EndRequestOfARequestThatIsNotActiveIsTheCallersMistake()
    {
        var connection = new FastCgiConnection();

        Assert.Throws<InvalidOperationException>(() => connection.EndRequest(new ArrayBufferWriter<byte>(), 1, 0));
    }

    [Fact]
    public void TwoRequestsInterleavedOnOneConnectionAreToldApartById()
    {
        var events = new FastCgiEvents(new FastCgiConnection(new FastCgiConnectionOptions { MaxConcurrentRequests = 2 }));
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteBeginRequest(bytes, 1, FastCgiRole.Responder, keepConnection: true);
        FastCgiRecordWriter.WriteBeginRequest(bytes, 2, FastCgiRole.Responder, keepConnection: true);
        FastCgiRecordWriter.WriteParams(bytes, 2, [new("REQUEST_METHOD", "GET")]);
        FastCgiRecordWriter.WriteParams(bytes, 1, [new("REQUEST_METHOD", "POST")]);
        FastCgiRecordWriter.WriteStream(bytes, FastCgiRecordType.Stdin, 1, "one"u8);
        FastCgiRecordWriter.WriteEndOfStream(bytes, FastCgiRecordType.Stdin, 2);
        FastCgiRecordWriter.WriteStream(bytes, FastCgiRecordType.Stdin, 1, "two"u8);
        FastCgiRecordWriter.WriteEndOfStream(bytes, FastCgiRecordType.Stdin, 1);

        events.Feed(bytes.WrittenMemory.ToArray());

        Assert.Equal(
            ["began #1 keep=True", "began #2 keep=True", "params #2 REQUEST_METHOD=GET", "params #1 REQUEST_METHOD=POST",
             "stdin #1 6F6E65", "stdin end #2", "stdin #1 74776F", "stdin end #1"],
            events.Events);
        Assert.Equal(2, events.Connection.ActiveRequestCount);
        events.Connection.EndRequest(new ArrayBufferWriter<byte>(), 2, 0);
        Assert.True(events.Connection.IsActive(1));
        Assert.False(events.Connection.IsActive(2));
    }

    [Fact]
    public void ASecondRequestOnAConnectionThatCarriesOneIsAnsweredCantMpxConn()
    {
        var events = new FastCgiEvents();
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteBeginRequest(bytes, 1, FastCgiRole.Responder, keepConnection: true);
        FastCgiRecordWriter.WriteBeginRequest(bytes, 2, FastCgiRole.Responder, keepConnection: true);

        events.Feed(bytes.WrittenMemory.ToArray());

        Assert.Equal(["began #1 keep=True", "rejected #2 CantMultiplexConnection"], events.Events);
        Assert.Equal("0103000200080000" + "0000000001000000", Convert.ToHexString(events.Replies.WrittenSpan));
        Assert.False(events.Connection.IsActive(2));
    }

    [Fact]
    public void ARequestBeyondTheMultiplexedSlotsIsAnsweredOverloaded()
    {
        var events = new FastCgiEvents(new FastCgiConnection(new FastCgiConnectionOptions { MaxConcurrentRequests = 2 }));
        var bytes = new ArrayBufferWriter<byte>();
        for (ushort id = 1; id <= 3; id++)
        {
            FastCgiRecordWriter.WriteBeginRequest(bytes, id, FastCgiRole.Responder, keepConnection: true);
        }

        events.Feed(bytes.WrittenMemory.ToArray());

        Assert.Equal("rejected #3 Overloaded", events.Events[^1]);
        Assert.Equal(FastCgiProtocolStatus.Overloaded, (FastCgiProtocolStatus)events.Replies.WrittenSpan[12]);
    }

    [Theory]
    [InlineData(FastCgiRole.Authorizer)]
    [InlineData(FastCgiRole.Filter)]
    [InlineData((FastCgiRole)9)]
    public void ARoleOtherThanResponderIsAnsweredUnknownRole(FastCgiRole role)
    {
        var events = new FastCgiEvents();
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteBeginRequest(bytes, 1, role, keepConnection: true);
        FastCgiRecordWriter.WriteParams(bytes, 1, [new("A", "b")]);

        var (status, _) = events.Feed(bytes.WrittenMemory.ToArray());

        Assert.Equal(OperationStatus.NeedMoreData, status);
        Assert.Equal(["rejected #1 UnknownRole"], events.Events);
        Assert.Equal("0103000100080000" + "0000000003000000", Convert.ToHexString(events.Replies.WrittenSpan));
    }

    [Fact]
    public void GetValuesIsAnsweredWithTheValuesItKnowsAndOmitsTheRest()
    {
        var events = new FastCgiEvents(new FastCgiConnection(new FastCgiConnectionOptions
        {
            MaxConnections = 10, MaxRequests = 50, MaxConcurrentRequests = 4,
        }));
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteGetValues(bytes, ["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS", "SOMETHING_ELSE"]);

        events.Feed(bytes.WrittenMemory.ToArray());

        Assert.Equal(["management #0"], events.Events);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(events.Replies.WrittenMemory));
        Assert.Equal(OperationStatus.Done, FastCgiRecordReader.TryRead(ref reader, out FastCgiRecordHeader header, out ReadOnlySequence<byte> content, out _));
        Assert.Equal(FastCgiRecordType.GetValuesResult, header.Type);
        Assert.Equal(0, header.RequestId);
        Assert.True(FastCgiNameValuePairs.TryParse(content.ToArray(), GatewayLimits.Default, out CgiVariables? values, out _));
        Assert.Equal([new("FCGI_MAX_CONNS", "10"), new("FCGI_MAX_REQS", "50"), new("FCGI_MPXS_CONNS", "1")], values!.ToLatin1Pairs());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(12, 0)]
    [InlineData(200, 0)]
    [InlineData(255, 3)]
    public void AnUnknownRecordTypeIsAnsweredUnknownTypeAndTheConnectionGoesOn(byte type, ushort requestId)
    {
        var events = new FastCgiEvents();
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteRecord(bytes, (FastCgiRecordType)type, requestId, "whatever"u8);
        bytes.Write(Request(1, keepConnection: false, Params, []));

        var (status, _) = events.Feed(bytes.WrittenMemory.ToArray());

        Assert.Equal(OperationStatus.NeedMoreData, status);
        Assert.Equal("01" + "0B" + "0000" + "0008" + "0000" + type.ToString("X2") + "00000000000000", Convert.ToHexString(events.Replies.WrittenSpan));
        Assert.Equal("management #" + requestId, events.Events[0]);
        Assert.Equal("began #1 keep=False", events.Events[1]);
        Assert.Equal("stdin end #1", events.Events[^1]);
    }

    [Fact]
    public void AnAbortIsToldOnceAndTheBodyAfterItIsDropped()
    {
        var events = new FastCgiEvents();
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteBeginRequest(bytes, 1, FastCgiRole.Responder, keepConnection: true);
        FastCgiRecordWriter.WriteParams(bytes, 1, Params);
        FastCgiRecordWriter.WriteStream(bytes, FastCgiRecordType.Stdin, 1, "ab"u8);
        FastCgiRecordWriter.WriteAbortRequest(bytes, 1);
        FastCgiRecordWriter.WriteAbortRequest(bytes, 1);
        FastCgiRecordWriter.WriteStream(bytes, FastCgiRecordType.Stdin, 1, "cd"u8);

        events.Feed(bytes.WrittenMemory.ToArray());

        Assert.Equal(["began #1 keep=True", events.Events[1], "stdin #1 6162", "aborted #1"], events.Events);
    }

    [Fact]
    public void RecordsForARequestThatEndedAreIgnored()
    {
        // §3.3: the web server may still send body for a request the application has already ended.
        var events = new FastCgiEvents();
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteBeginRequest(bytes, 1, FastCgiRole.Responder, keepConnection: true);
        FastCgiRecordWriter.WriteParams(bytes, 1, Params);
        events.Feed(bytes.WrittenMemory.ToArray());
        events.Connection.EndRequest(new ArrayBufferWriter<byte>(), 1, 0);

        var late = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteStream(late, FastCgiRecordType.Stdin, 1, "late"u8);
        FastCgiRecordWriter.WriteEndOfStream(late, FastCgiRecordType.Stdin, 1);
        FastCgiRecordWriter.WriteAbortRequest(late, 1);
        FastCgiRecordWriter.WriteStream(late, FastCgiRecordType.Data, 1, "data"u8);
        var (status, consumed) = events.Feed(late.WrittenMemory.ToArray());

        Assert.Equal(OperationStatus.NeedMoreData, status);
        Assert.Equal(late.WrittenCount, consumed);
        Assert.Equal(2, events.Events.Count);
    }

    [Fact]
    public void ParamsThatStraddleRecordsArePutTogether()
    {
        var content = new ArrayBufferWriter<byte>();
        FastCgiNameValuePairs.Write(content, "REQUEST_METHOD"u8, "GET"u8);
        FastCgiNameValuePairs.Write(content, "HTTP_X_LONG"u8, new byte[300]);
        byte[] stream = content.WrittenSpan.ToArray();
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteBeginRequest(bytes, 1, FastCgiRole.Responder, keepConnection: false);
        // Cut inside the first name, inside the 4-byte length of the second value, and inside that value.
        int secondPair = 1 + 1 + 14 + 3;
        int[] cuts = [0, 5, secondPair + 2, secondPair + 1 + 4 + 11 + 100, stream.Length];
        for (int i = 1; i < cuts.Length; i++)
        {
            FastCgiRecordWriter.WriteRecord(bytes, FastCgiRecordType.Params, 1, stream.AsSpan(cuts[i - 1], cuts[i] - cuts[i - 1]));
        }
        FastCgiRecordWriter.WriteEndOfStream(bytes, FastCgiRecordType.Params, 1);
        var events = new FastCgiEvents();

        events.Feed(bytes.WrittenMemory.ToArray());

        CgiVariables variables = events.Raw[1].Variables!;
        Assert.Equal("GET", variables.GetLatin1("REQUEST_METHOD"));
        Assert.Equal(new string('\0', 300), variables.GetLatin1("HTTP_X_LONG"));
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "02 01 0001 0008 00 00 0001000000000000", "version 2: only version 1 exists" },
        { "00 05 0001 0000 00 00", "version 0" },
        { "01 01 0000 0008 00 00 0001000000000000", "request id 0" },
        { "01 01 0001 0004 00 00 00010000", "a body of 4 bytes instead of 8" },
        { "01 01 0001 0008 00 00 0001010000000000 01 01 0001 0008 00 00 0001010000000000", "request 1, which is already active" },
        { "01 06 0001 0002 00 00 6869", "Stdout is the application's to send" },
        { "01 03 0001 0008 00 00 0000000000000000", "EndRequest is the application's to send" },
        { "01 0A 0000 0000 00 00", "GetValuesResult is the application's to send" },
        { "01 0B 0000 0008 00 00 0C00000000000000", "UnknownType is the application's to send" },
        { "01 07 0001 0000 00 00", "Stderr is the application's to send" },
        { "01 01 0001 0008 00 00 0001000000000000 01 05 0001 0001 00 00 41", "FCGI_STDIN for request 1 before the empty FCGI_PARAMS" },
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0000 00 00 01 04 0001 0004 00 00 01014142", "FCGI_PARAMS for request 1 after the empty record" },
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0000 00 00 01 05 0001 0000 00 00 01 05 0001 0001 00 00 41", "FCGI_STDIN for request 1 after the empty record" },
        // A name length of 0x7FFFFFFF in a 6-byte stream: the 4-byte form must not overflow into a huge allocation.
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0006 00 00 FFFFFFFF0100 01 04 0001 0000 00 00", "runs past the end of its 6-byte stream" },
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0003 00 00 050141 01 04 0001 0000 00 00", "runs past the end of its 3-byte stream" },
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0001 00 00 05 01 04 0001 0000 00 00", "runs past the end of its 1-byte stream" },
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0003 00 00 800000 01 04 0001 0000 00 00", "runs past the end of its 3-byte stream" },
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0003 00 00 000141 01 04 0001 0000 00 00", "empty name" },
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0009 00 00 010141410101424201 01 04 0001 0000 00 00", "more than 2 FastCGI params" },
        { "01 01 0001 0008 00 00 0001000000000000 01 04 0001 0100 00 00 " + new string('0', 512), "over the limit of 200 bytes" },
        { "01 09 0001 0000 00 00", "FCGI_GET_VALUES with request id 1" },
        { "01 09 0000 0002 00 00 0501", "FCGI_GET_VALUES: a FastCGI name-value pair runs past the end" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void AProtocolErrorStopsTheConnectionSayingWhy(string hex, string expectedError)
    {
        var events = new FastCgiEvents(new FastCgiConnection(new FastCgiConnectionOptions
        {
            Limits = new GatewayLimits { MaxVariablesBytes = 200, MaxVariableCount = 2 },
        }));

        var (status, _) = events.Feed(Convert.FromHexString(hex.Replace(" ", "")));

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Contains(expectedError, events.Error);
    }

    private static byte[] Request(ushort id, bool keepConnection, KeyValuePair<string, string>[] parameters, byte[] body)
    {
        var bytes = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteBeginRequest(bytes, id, FastCgiRole.Responder, keepConnection);
        FastCgiRecordWriter.WriteParams(bytes, id, parameters);
        FastCgiRecordWriter.WriteStream(bytes, FastCgiRecordType.Stdin, id, body);
        FastCgiRecordWriter.WriteEndOfStream(bytes, FastCgiRecordType.Stdin, id);
        return bytes.WrittenSpan.ToArray();
    }

    [Fact]
    public void RecordHeaderFieldsAreBigEndian()
    {
        Span<byte> bytes = stackalloc byte[8];
        new FastCgiRecordHeader(1, FastCgiRecordType.Stdout, 0x1234, 0xABCD, 3).WriteTo(bytes);

        Assert.Equal("0106" + "1234" + "ABCD" + "0300", Convert.ToHexString(bytes));
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]));
        Assert.Equal(new FastCgiRecordHeader(1, FastCgiRecordType.Stdout, 0x1234, 0xABCD, 3), FastCgiRecordHeader.Read(bytes));
    }
}
