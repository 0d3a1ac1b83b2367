namespace PyHost.Protocol.Tests;

public class FrameHeaderTests
{
    // length 0x00010203 LE, request id 0xDEADBEEF LE, type 23 (PONG), flags 0x80, reserved 00 00.
    private static readonly byte[] Vector = [0x03, 0x02, 0x01, 0x00, 0xEF, 0xBE, 0xAD, 0xDE, 23, 0x80, 0x00, 0x00];

    [Fact]
    public void TryParseReadsTheFieldsOfAHandWrittenHeader()
    {
        Assert.True(FrameHeader.TryParse(Vector, out FrameHeader header, out string? error));

        Assert.Null(error);
        Assert.Equal(new FrameHeader(0x00010203, 0xDEADBEEF, FrameType.Pong, 0x80), header);
    }

    [Fact]
    public void WriteToProducesTheHandWrittenHeaderAndZeroesTheReservedBytes()
    {
        byte[] destination = Enumerable.Repeat((byte)0xFF, FrameHeader.Size).ToArray();

        new FrameHeader(0x00010203, 0xDEADBEEF, FrameType.Pong, 0x80).WriteTo(destination);

        Assert.Equal(Vector, destination);
    }

    [Fact]
    public void SizeIsTwelveBytesAndTheLimitIsSixteenMebibytes()
    {
        Assert.Equal(12, FrameHeader.Size);
        Assert.Equal(16 * 1024 * 1024, FrameHeader.MaxPayloadLength);
    }

    [Fact]
    public void TryParseAcceptsAPayloadOfExactlyTheMaximumLength()
    {
        byte[] bytes = new byte[FrameHeader.Size];
        new FrameHeader(FrameHeader.MaxPayloadLength, 1, FrameType.Body, 0).WriteTo(bytes);

        Assert.True(FrameHeader.TryParse(bytes, out FrameHeader header, out _));
        Assert.Equal(FrameHeader.MaxPayloadLength, header.Length);
    }

    [Fact]
    public void TryParseRefusesAPayloadOneByteOverTheMaximumLength()
    {
        byte[] bytes = new byte[FrameHeader.Size];
        new FrameHeader(FrameHeader.MaxPayloadLength + 1, 1, FrameType.Body, 0).WriteTo(bytes);

        Assert.False(FrameHeader.TryParse(bytes, out _, out string? error));
        Assert.Contains($"{FrameHeader.MaxPayloadLength + 1} bytes", error);
        Assert.Contains("limit", error);
    }
}
