using System.Buffers.Binary;

namespace PyHost.Protocol;

/// <summary>
/// The fixed 12-byte header in front of every frame: payload length, request id, type, flags, two reserved bytes.
/// Little-endian, so Python reads it with one <c>struct.unpack_from("&lt;IIBBH")</c>.
/// </summary>
public readonly record struct FrameHeader(int Length, uint RequestId, FrameType Type, byte Flags)
{
    public const int Size = 12;

    /// <summary>A larger payload is a protocol error: it bounds what one frame can make the front buffer.</summary>
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], RequestId);
        destination[8] = (byte)Type;
        destination[9] = Flags;
        destination[10] = 0;
        destination[11] = 0;
    }

    /// <summary>Reads a header, or says why the bytes cannot be one.</summary>
    public static bool TryParse(ReadOnlySpan<byte> source, out FrameHeader header, out string? error)
    {
        header = default;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (length > MaxPayloadLength)
        {
            error = $"frame payload of {length} bytes is over the {MaxPayloadLength}-byte limit";
            return false;
        }
        var type = (FrameType)source[8];
        if (!Enum.IsDefined(type))
        {
            error = $"unknown frame type {source[8]}";
            return false;
        }
        if (source[10] != 0 || source[11] != 0)
        {
            error = "reserved header bytes are not zero";
            return false;
        }
        header = new FrameHeader((int)length, BinaryPrimitives.ReadUInt32LittleEndian(source[4..]), type, source[9]);
        error = null;
        return true;
    }
}
