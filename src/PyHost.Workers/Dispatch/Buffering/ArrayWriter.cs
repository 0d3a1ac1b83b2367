using System.Buffers;

namespace PyHost.Workers.Dispatch.Buffering;

/// <summary>An <see cref="IBufferWriter{T}"/> over a fixed region of an array: reads land where the caller wants them,
/// without a copy. Asking for more room than is left is a bug of the caller's (it passes the room as maxBytes).</summary>
internal sealed class ArrayWriter(byte[] array, int start, int end) : IBufferWriter<byte>
{
    public int Position { get; private set; } = start;

    public int Remaining => end - Position;

    public void Advance(int count) => Position += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => array.AsMemory(Position, end - Position);

    public Span<byte> GetSpan(int sizeHint = 0) => array.AsSpan(Position, end - Position);
}
