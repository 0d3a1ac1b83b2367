using System.Buffers;
using PyHost.Protocol;

namespace PyHost.Workers.Channel;

/// <summary>
/// Frames on their way to a worker: a growable buffer on pooled arrays. Written by one sender, then handed whole to
/// the channel's send queue, which returns it to its pool after the bytes went out. It may end with a tail of bytes
/// it does not own (a buffered request body), sent after the written bytes in the same gathered write instead of being
/// copied in; the tail's lease is released once the bytes went out or the send was given up.
/// </summary>
internal sealed class FrameBuffer : IBufferWriter<byte>
{
    private byte[] _array = ArrayPool<byte>.Shared.Rent(4096);
    private int _written;
    private ArraySegment<byte> _tail;
    private IDisposable? _tailLease;

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    public ArraySegment<byte> WrittenSegment => new(_array, 0, _written);

    public int WrittenCount => _written;

    /// <summary>Bytes sent after the written ones, not copied in (empty when there is none).</summary>
    public ArraySegment<byte> Tail => _tail;

    /// <summary>Ends the buffer with <paramref name="bytes"/>, which stay valid until <paramref name="lease"/> is disposed;
    /// nothing may be written after it.</summary>
    public void AttachTail(ArraySegment<byte> bytes, IDisposable lease)
    {
        _tail = bytes;
        _tailLease = lease;
    }

    private void ReleaseTail()
    {
        _tailLease?.Dispose();
        _tailLease = null;
        _tail = default;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_array.Length - _written >= needed)
        {
            return;
        }
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _written + needed));
        _array.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_array);
        _array = larger;
    }

    /// <summary>Reserves a frame header; <see cref="FinishFrame"/> fills it once the payload is written.</summary>
    public int BeginFrame()
    {
        GetSpan(FrameHeader.Size)[..FrameHeader.Size].Clear();
        Advance(FrameHeader.Size);
        return _written;
    }

    public void FinishFrame(int payloadStart, FrameType type, uint requestId, byte flags) =>
        new FrameHeader(_written - payloadStart, requestId, type, flags).WriteTo(_array.AsSpan(payloadStart - FrameHeader.Size, FrameHeader.Size));

    public void WriteFrame(FrameType type, uint requestId, byte flags, ReadOnlySpan<byte> payload) =>
        FrameWriter.Write(this, type, requestId, flags, payload);

    /// <summary>Gives its array back to the pool: the buffer is not kept for reuse.</summary>
    public void Release()
    {
        ReleaseTail();
        ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        _written = 0;
    }

    /// <summary>Empties it for reuse; a buffer that grew large gives its array back.</summary>
    public void Reset()
    {
        ReleaseTail();
        _written = 0;
        if (_array.Length > 64 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = ArrayPool<byte>.Shared.Rent(4096);
        }
    }
}
