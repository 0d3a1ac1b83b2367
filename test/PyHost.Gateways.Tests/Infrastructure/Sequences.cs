using System.Buffers;

namespace PyHost.Gateways.Tests.Infrastructure;

/// <summary>Byte sequences in the shapes a pipe hands a parser: whole, cut in two, or a prefix of a message.</summary>
internal static class Sequences
{
    /// <summary>The bytes as two segments, [0..cut) and [cut..): a message split across two reads.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int cut)
    {
        var first = new Segment(bytes[..cut], 0);
        Segment second = first.Append(bytes[cut..]);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
