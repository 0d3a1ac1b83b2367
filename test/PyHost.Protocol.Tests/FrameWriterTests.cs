using System.Buffers;

namespace PyHost.Protocol.Tests;

public class FrameWriterTests
{
    [Fact]
    public void WriteLaysOutLengthRequestIdTypeFlagsTwoZeroBytesThenThePayload()
    {
        var output = new ArrayBufferWriter<byte>();

        FrameWriter.Write(output, FrameType.ResponseStart, 0x0A0B0C0D, 0x01, "hi"u8);

        byte[] expected =
        [
            0x02, 0x00, 0x00, 0x00,     // length 2, little-endian
            0x0D, 0x0C, 0x0B, 0x0A,     // request id 0x0A0B0C0D, little-endian
            19,                         // RESPONSE_START
            0x01,                       // flags
            0x00, 0x00,                 // reserved
            (byte)'h', (byte)'i',
        ];
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteStoresALengthOverOneByteLittleEndian()
    {
        var output = new ArrayBufferWriter<byte>();

        FrameWriter.Write(output, FrameType.Body, 0, 0, new byte[0x0102]);

        Assert.Equal([0x02, 0x01, 0x00, 0x00], output.WrittenSpan[..4].ToArray());
        Assert.Equal(FrameHeader.Size + 0x0102, output.WrittenCount);
    }

    [Fact]
    public void WriteOfAnEmptyPayloadIsTheHeaderAlone()
    {
        var output = new ArrayBufferWriter<byte>();

        FrameWriter.Write(output, FrameType.Stop, 0, 0, []);

        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteAppendsAfterWhatTheBufferAlreadyHolds()
    {
        var output = new ArrayBufferWriter<byte>();

        FrameWriter.Write(output, FrameType.Ping, 1, 0, [0xAA]);
        FrameWriter.Write(output, FrameType.Pong, 2, 0, [0xBB]);

        byte[] expected =
        [
            1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0xAA,
            1, 0, 0, 0, 2, 0, 0, 0, 23, 0, 0, 0, 0xBB,
        ];
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void BeginFrameReturnsWhereThePayloadStarts()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(12, FrameWriter.BeginFrame(output));

        output.Write(new byte[5]);
        Assert.Equal(12 + 5 + 12, FrameWriter.BeginFrame(output));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(70_000)]
    public void BeginFrameThenFinishFrameGivesTheSameBytesAsWrite(int payloadLength)
    {
        byte[] payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i * 7)).ToArray();
        var expected = new ArrayBufferWriter<byte>();
        FrameWriter.Write(expected, FrameType.Ping, 9, 0, [1, 2, 3]);
        FrameWriter.Write(expected, FrameType.Request, 0xFEDCBA98, 0x42, payload);

        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, FrameType.Ping, 9, 0, [1, 2, 3]);
        int payloadStart = FrameWriter.BeginFrame(output);
        // Written in pieces, as MarshalWriter does, so the buffer may grow under the reserved header.
        for (int offset = 0; offset < payload.Length; offset += 1000)
        {
            output.Write(payload.AsSpan(offset, Math.Min(1000, payload.Length - offset)));
        }
        FrameWriter.FinishFrame(output, payloadStart, FrameType.Request, 0xFEDCBA98, 0x42);

        Assert.Equal(expected.WrittenSpan.ToArray(), output.WrittenSpan.ToArray());
    }
}
