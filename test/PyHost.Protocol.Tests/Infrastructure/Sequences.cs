using System.Buffers;

namespace PyHost.Protocol.Tests.Infrastructure;

/// <summary>Builds multi-segment sequences, the shape a pipe hands a parser when bytes arrive in pieces.</summary>
internal static class Sequences
{
    /// <summary>The bytes cut at the given offsets (ascending): cuts 3 and 7 of ten bytes give [0..3) [3..7) [7..10).</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> bytes, params int[] cuts)
    {
        var pieces = new List<byte[]>();
        int start = 0;
        foreach (int cut in cuts.Append(bytes.Length))
        {
            pieces.Add(bytes[start..cut].ToArray());
            start = cut;
        }
        return FromSegments(pieces);
    }

    /// <summary>Every byte in a segment of its own.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> bytes)
        => Split(bytes, Enumerable.Range(1, Math.Max(0, bytes.Length - 1)).ToArray());

    public static ReadOnlySequence<byte> FromSegments(IReadOnlyList<byte[]> pieces)
    {
        var first = new Segment(pieces[0], runningIndex: 0);
        Segment last = first;
        for (int i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
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
