using System.Buffers;
using System.Runtime.InteropServices;

namespace PyHost.Protocol;

/// <summary>Writes frames into a buffer; the caller decides when the bytes go out.</summary>
public static class FrameWriter
{
    public static void Write(IBufferWriter<byte> output, FrameType type, uint requestId, byte flags, ReadOnlySpan<byte> payload)
    {
        Span<byte> span = output.GetSpan(FrameHeader.Size + payload.Length);
        new FrameHeader(payload.Length, requestId, type, flags).WriteTo(span);
        payload.CopyTo(span[FrameHeader.Size..]);
        output.Advance(FrameHeader.Size + payload.Length);
    }

    /// <summary>
    /// Reserves a header for a frame whose payload is then written straight into <paramref name="output"/>, and
    /// returns where the payload starts; <see cref="FinishFrame"/> fills the header once the length is known.
    /// </summary>
    public static int BeginFrame(ArrayBufferWriter<byte> output)
    {
        output.GetSpan(FrameHeader.Size)[..FrameHeader.Size].Clear();
        output.Advance(FrameHeader.Size);
        return output.WrittenCount;
    }

    public static void FinishFrame(ArrayBufferWriter<byte> output, int payloadStart, FrameType type, uint requestId, byte flags)
    {
        int length = output.WrittenCount - payloadStart;
        Span<byte> header = MemoryMarshal.AsMemory(output.WrittenMemory).Span.Slice(payloadStart - FrameHeader.Size, FrameHeader.Size);
        new FrameHeader(length, requestId, type, flags).WriteTo(header);
    }
}
