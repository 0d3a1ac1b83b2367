using System.Buffers;

namespace PyHost.Gateways;

/// <summary>
/// The request body after uwsgi vars or SCGI headers: exactly CONTENT_LENGTH bytes, then the peer waits for the
/// response. Hands out what has arrived, never more than remains, so bytes beyond the body are never taken for it.
/// </summary>
public struct ContentLengthBody(long length)
{
    public long Remaining { get; private set; } = length;

    public readonly bool IsComplete => Remaining == 0;

    /// <summary>Takes the body bytes the reader holds, up to what remains. False when the reader holds none or the
    /// body is complete; <see cref="IsComplete"/> tells which.</summary>
    public bool TryRead(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> chunk)
    {
        long take = Math.Min(Remaining, reader.Remaining);
        if (take == 0)
        {
            chunk = default;
            return false;
        }
        chunk = reader.UnreadSequence.Slice(0, take);
        reader.Advance(take);
        Remaining -= take;
        return true;
    }
}
