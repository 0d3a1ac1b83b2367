using System.Buffers.Binary;

namespace PyHost.Gateways.FastCgi;

/// <summary>
/// FCGI_Header (§3.3): version, type, requestId (16-bit big-endian), contentLength (16-bit big-endian),
/// paddingLength, one reserved byte. The content and then the padding follow.
/// </summary>
public readonly record struct FastCgiRecordHeader(
    byte Version, FastCgiRecordType Type, ushort RequestId, ushort ContentLength, byte PaddingLength)
{
    public const int Size = 8;

    public int TotalLength => Size + ContentLength + PaddingLength;

    public static FastCgiRecordHeader Read(ReadOnlySpan<byte> bytes) => new(
        bytes[0], (FastCgiRecordType)bytes[1], BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
        BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]), bytes[6]);

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = Version;
        destination[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], RequestId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], ContentLength);
        destination[6] = PaddingLength;
        destination[7] = 0;
    }
}
