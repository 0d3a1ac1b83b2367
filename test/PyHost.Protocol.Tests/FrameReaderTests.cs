using System.Buffers;
using PyHost.Protocol.Tests.Infrastructure;

namespace PyHost.Protocol.Tests;

public class FrameReaderTests
{
    // BODY, request id 7, flag END, payload "hello": written out by hand so the reader is not checked against the writer.
    private static readonly byte[] BodyFrame =
    [
        5, 0, 0, 0,
        7, 0, 0, 0,
        2,
        FrameFlags.BodyEnd,
        0, 0,
        (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o',
    ];

    public static TheoryData<FrameType, uint, byte> EveryTypeWithEveryRequestId()
    {
        var data = new TheoryData<FrameType, uint, byte>();
        byte[] flags = [0, 1, 2, 0xFF];
        int row = 0;
        foreach (FrameType type in Enum.GetValues<FrameType>())
        {
            foreach (uint requestId in new[] { 0u, 1u, uint.MaxValue })
            {
                data.Add(type, requestId, flags[row++ % flags.Length]);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryTypeWithEveryRequestId))]
    public void TryReadRoundTripsEveryFrameTypeRequestIdAndFlags(FrameType type, uint requestId, byte flags)
    {
        byte[] payload = [(byte)type, 0x00, 0xFF];
        byte[] frame = Frame(type, requestId, flags, payload);

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(frame));
        Assert.True(FrameReader.TryRead(ref reader, out FrameHeader header, out ReadOnlySequence<byte> read));
        Assert.Equal(new FrameHeader(payload.Length, requestId, type, flags), header);
        Assert.Equal(payload, read.ToArray());
        Assert.True(reader.End);

        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.True(FrameReader.TryRead(ref buffer, out FrameHeader header2, out ReadOnlySequence<byte> read2));
        Assert.Equal(header, header2);
        Assert.Equal(payload, read2.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64 * 1024)]
    public void TryReadRoundTripsAPayloadOfLength(int length)
    {
        byte[] payload = Enumerable.Range(0, length).Select(i => (byte)(i * 31 + 7)).ToArray();
        var buffer = new ReadOnlySequence<byte>(Frame(FrameType.ResponseBody, 3, 0, payload));

        Assert.True(FrameReader.TryRead(ref buffer, out FrameHeader header, out ReadOnlySequence<byte> read));

        Assert.Equal(length, header.Length);
        Assert.Equal(payload, read.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void TryReadReadsTheHandWrittenFrame()
    {
        var buffer = new ReadOnlySequence<byte>(BodyFrame);

        Assert.True(FrameReader.TryRead(ref buffer, out FrameHeader header, out ReadOnlySequence<byte> payload));

        Assert.Equal(new FrameHeader(5, 7, FrameType.Body, FrameFlags.BodyEnd), header);
        Assert.Equal("hello"u8.ToArray(), payload.ToArray());
    }

    [Fact]
    public void TryReadReadsTwoFramesBackToBackInOneBuffer()
    {
        byte[] bytes = [.. Frame(FrameType.ResponseStart, 1, 0, "200 OK"u8.ToArray()), .. Frame(FrameType.ResponseEnd, 1, FrameFlags.AppError, [])];
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));

        Assert.True(FrameReader.TryRead(ref reader, out FrameHeader first, out ReadOnlySequence<byte> firstPayload));
        Assert.Equal(new FrameHeader(6, 1, FrameType.ResponseStart, 0), first);
        Assert.Equal("200 OK"u8.ToArray(), firstPayload.ToArray());
        Assert.Equal(FrameHeader.Size + 6, reader.Consumed);

        Assert.True(FrameReader.TryRead(ref reader, out FrameHeader second, out ReadOnlySequence<byte> secondPayload));
        Assert.Equal(new FrameHeader(0, 1, FrameType.ResponseEnd, FrameFlags.AppError), second);
        Assert.True(secondPayload.IsEmpty);
        Assert.True(reader.End);

        Assert.False(FrameReader.TryRead(ref reader, out _, out _));
    }

    [Fact]
    public void TryReadOverASequenceMovesTheBufferPastEachFrame()
    {
        byte[] bytes = [.. Frame(FrameType.Ping, 0, 0, [1, 2]), .. Frame(FrameType.Pong, 0, 0, [3])];
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(FrameReader.TryRead(ref buffer, out _, out ReadOnlySequence<byte> first));
        Assert.Equal(FrameHeader.Size + 1, buffer.Length);
        Assert.True(FrameReader.TryRead(ref buffer, out FrameHeader second, out ReadOnlySequence<byte> secondPayload));

        Assert.Equal([1, 2], first.ToArray());
        Assert.Equal(FrameType.Pong, second.Type);
        Assert.Equal([3], secondPayload.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void TryReadLeavesAnIncompleteNextFrameUnconsumed()
    {
        byte[] bytes = [.. BodyFrame, .. BodyFrame[..15]];
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));

        Assert.True(FrameReader.TryRead(ref reader, out _, out _));
        Assert.False(FrameReader.TryRead(ref reader, out _, out _));

        Assert.Equal(BodyFrame.Length, reader.Consumed);
        Assert.Equal(15, reader.Remaining);
    }

    public static TheoryData<int> StrictPrefixLengthsOfTheBodyFrame() => new(Enumerable.Range(0, BodyFrame.Length));

    [Theory]
    [MemberData(nameof(StrictPrefixLengthsOfTheBodyFrame))]
    public void TryReadDoesNotConsumeAnIncompleteFrame(int prefixLength)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(BodyFrame, 0, prefixLength));

        Assert.False(FrameReader.TryRead(ref reader, out FrameHeader header, out ReadOnlySequence<byte> payload));

        Assert.Equal(0, reader.Consumed);
        Assert.Equal(default, header);
        Assert.True(payload.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(StrictPrefixLengthsOfTheBodyFrame))]
    public void TryReadOverASequenceLeavesAnIncompleteFrameInTheBuffer(int prefixLength)
    {
        var original = new ReadOnlySequence<byte>(BodyFrame, 0, prefixLength);
        var buffer = original;

        Assert.False(FrameReader.TryRead(ref buffer, out _, out _));

        Assert.Equal(original.Start, buffer.Start);
        Assert.Equal(prefixLength, buffer.Length);
    }

    public static TheoryData<int> NonEmptyStrictPrefixLengthsOfTheBodyFrame() => new(Enumerable.Range(1, BodyFrame.Length - 1));

    [Theory]
    [MemberData(nameof(NonEmptyStrictPrefixLengthsOfTheBodyFrame))]
    public void TryReadDoesNotConsumeAnIncompleteFrameSpreadOverSegments(int prefixLength)
    {
        var reader = new SequenceReader<byte>(Sequences.OneBytePerSegment(BodyFrame.AsSpan(0, prefixLength)));

        Assert.False(FrameReader.TryRead(ref reader, out _, out _));

        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [MemberData(nameof(NonEmptyStrictPrefixLengthsOfTheBodyFrame))]
    public void TryReadReadsAFrameSplitIntoTwoSegmentsAtAnyByte(int cut)
    {
        var reader = new SequenceReader<byte>(Sequences.Split(BodyFrame, cut));

        Assert.True(FrameReader.TryRead(ref reader, out FrameHeader header, out ReadOnlySequence<byte> payload));

        Assert.Equal(new FrameHeader(5, 7, FrameType.Body, FrameFlags.BodyEnd), header);
        Assert.Equal("hello"u8.ToArray(), payload.ToArray());
        Assert.True(reader.End);
    }

    [Fact]
    public void TryReadReadsTwoFramesWithEveryByteInItsOwnSegment()
    {
        byte[] second = Frame(FrameType.BodyPull, uint.MaxValue, 0, [0x00, 0x00, 0x01, 0x00]);
        var buffer = Sequences.OneBytePerSegment([.. BodyFrame, .. second]);

        Assert.True(FrameReader.TryRead(ref buffer, out FrameHeader firstHeader, out ReadOnlySequence<byte> firstPayload));
        Assert.True(FrameReader.TryRead(ref buffer, out FrameHeader secondHeader, out ReadOnlySequence<byte> secondPayload));

        Assert.Equal(new FrameHeader(5, 7, FrameType.Body, FrameFlags.BodyEnd), firstHeader);
        Assert.Equal("hello"u8.ToArray(), firstPayload.ToArray());
        Assert.Equal(new FrameHeader(4, uint.MaxValue, FrameType.BodyPull, 0), secondHeader);
        Assert.Equal([0x00, 0x00, 0x01, 0x00], secondPayload.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    // Each malformed header declares a 100-byte payload that has not arrived: the reader must throw on the 12 header
    // bytes alone, since no further byte could make the frame valid.

    [Theory]
    [InlineData(FrameHeader.MaxPayloadLength + 1u)]
    [InlineData(0x7FFF_FFFFu)]
    [InlineData(0x8000_0000u)]
    [InlineData(uint.MaxValue)]
    public void TryReadThrowsOnAPayloadLengthOverTheLimitAsSoonAsTheHeaderIsThere(uint length)
    {
        byte[] header = Header(length, type: 2, reserved10: 0, reserved11: 0);

        ProtocolException error = ThrowsOnRead(header);

        Assert.Contains($"{length} bytes", error.Message);
        Assert.Contains($"{FrameHeader.MaxPayloadLength}-byte limit", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(15)]
    [InlineData(33)]
    [InlineData(255)]
    public void TryReadThrowsOnAnUnknownFrameTypeAsSoonAsTheHeaderIsThere(byte type)
    {
        ProtocolException error = ThrowsOnRead(Header(100, type, reserved10: 0, reserved11: 0));

        Assert.Contains($"unknown frame type {type}", error.Message);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    [InlineData(0xFF, 0xFF)]
    public void TryReadThrowsOnNonZeroReservedBytesAsSoonAsTheHeaderIsThere(byte reserved10, byte reserved11)
    {
        ProtocolException error = ThrowsOnRead(Header(100, type: 2, reserved10, reserved11));

        Assert.Contains("reserved", error.Message);
    }

    [Fact]
    public void TryReadThrowsOnAMalformedHeaderSpreadOverSegments()
    {
        byte[] header = Header(100, type: 99, reserved10: 0, reserved11: 0);
        var buffer = Sequences.OneBytePerSegment(header);

        var error = Assert.Throws<ProtocolException>(() => FrameReader.TryRead(ref buffer, out _, out _));

        Assert.Contains("unknown frame type 99", error.Message);
    }

    [Fact]
    public void TryReadWaitsForAllTwelveHeaderBytesBeforeJudgingThem()
    {
        byte[] header = Header(uint.MaxValue, type: 99, reserved10: 1, reserved11: 1);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(header, 0, FrameHeader.Size - 1));

        Assert.False(FrameReader.TryRead(ref reader, out _, out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Fact]
    public void TryReadWaitsForThePayloadOfAFrameOfTheMaximumLength()
    {
        byte[] header = Header(FrameHeader.MaxPayloadLength, type: 2, reserved10: 0, reserved11: 0);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(header));

        Assert.False(FrameReader.TryRead(ref reader, out _, out _));
        Assert.Equal(0, reader.Consumed);
    }

    private static ProtocolException ThrowsOnRead(byte[] header)
    {
        var error = Assert.Throws<ProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(header));
            FrameReader.TryRead(ref reader, out _, out _);
        });
        var buffer = new ReadOnlySequence<byte>(header);
        var sameError = Assert.Throws<ProtocolException>(() => FrameReader.TryRead(ref buffer, out _, out _));
        Assert.Equal(error.Message, sameError.Message);
        return error;
    }

    private static byte[] Header(uint length, byte type, byte reserved10, byte reserved11)
    {
        byte[] header = new byte[FrameHeader.Size];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header, length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 1);
        header[8] = type;
        header[10] = reserved10;
        header[11] = reserved11;
        return header;
    }

    private static byte[] Frame(FrameType type, uint requestId, byte flags, byte[] payload)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, type, requestId, flags, payload);
        return output.WrittenSpan.ToArray();
    }
}
