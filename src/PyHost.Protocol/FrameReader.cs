using System.Buffers;

namespace PyHost.Protocol;

/// <summary>Reads whole frames out of a byte sequence; never touches a socket (Kestrel's IHttpParser shape).</summary>
public static class FrameReader
{
    /// <summary>
    /// Reads one frame if the reader holds all of it. Returns false, consuming nothing, when more bytes are needed.
    /// Throws <see cref="ProtocolException"/> on a malformed header: waiting for more bytes would not help.
    /// </summary>
    public static bool TryRead(ref SequenceReader<byte> reader, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (reader.Remaining < FrameHeader.Size)
        {
            return false;
        }

        Span<byte> headerBytes = stackalloc byte[FrameHeader.Size];
        reader.TryCopyTo(headerBytes);
        if (!FrameHeader.TryParse(headerBytes, out header, out string? error))
        {
            throw new ProtocolException(error!);
        }
        if (reader.Remaining < FrameHeader.Size + header.Length)
        {
            header = default;
            return false;
        }

        reader.Advance(FrameHeader.Size);
        payload = reader.UnreadSequence.Slice(0, header.Length);
        reader.Advance(header.Length);
        return true;
    }

    /// <summary>
    /// The same over a sequence that the caller slices as it goes, for async callers (a SequenceReader cannot live
    /// across an await). On success <paramref name="buffer"/> starts after the frame.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!TryRead(ref reader, out header, out payload))
        {
            return false;
        }
        buffer = buffer.Slice(reader.Position);
        return true;
    }
}
