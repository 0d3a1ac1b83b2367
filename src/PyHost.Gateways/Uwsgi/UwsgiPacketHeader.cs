using System.Buffers.Binary;

namespace PyHost.Gateways.Uwsgi;

/// <summary>
/// The 4-byte header of every uwsgi packet (uWSGI docs, "The uwsgi Protocol"): modifier1, a 16-bit little-endian
/// datasize, modifier2. For a WSGI request (modifier1 0) datasize is the size of the vars block; the body follows it.
/// </summary>
public readonly record struct UwsgiPacketHeader(byte Modifier1, ushort DataSize, byte Modifier2)
{
    public const int Size = 4;

    /// <summary>modifier1 of a WSGI request: "Standard WSGI request followed by the HTTP request body".</summary>
    public const byte WsgiRequest = 0;

    public static UwsgiPacketHeader Read(ReadOnlySpan<byte> bytes)
        => new(bytes[0], BinaryPrimitives.ReadUInt16LittleEndian(bytes[1..]), bytes[3]);

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = Modifier1;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], DataSize);
        destination[3] = Modifier2;
    }
}
