using System.Globalization;

namespace PyHost.Http.StaticFiles;

/// <summary>What a Range header asks of a representation of a known length.</summary>
public enum ByteRangeKind
{
    /// <summary>No usable range: send the whole representation with 200 (RFC 9110 §14.2 lets a server ignore Range).</summary>
    WholeRepresentation,

    /// <summary>One satisfiable range: 206 with Content-Range (RFC 9110 §15.3.7).</summary>
    Partial,

    /// <summary>No range overlaps the representation: 416 with <c>Content-Range: bytes */LENGTH</c> (RFC 9110 §15.5.17).</summary>
    NotSatisfiable,
}

/// <summary>The outcome of <see cref="ByteRangeRequest.Evaluate"/>; <see cref="Start"/> and <see cref="Length"/> are set for <see cref="ByteRangeKind.Partial"/>.</summary>
public readonly record struct ByteRangeRequest(ByteRangeKind Kind, long Start = 0, long Length = 0)
{
    private static readonly ByteRangeRequest Whole = new(ByteRangeKind.WholeRepresentation);

    /// <summary>The last byte position, inclusive, as Content-Range writes it.</summary>
    public long End => Start + Length - 1;

    /// <summary>The Content-Range value for this outcome (RFC 9110 §14.4).</summary>
    public string ContentRange(long representationLength) => Kind == ByteRangeKind.Partial
        ? string.Create(CultureInfo.InvariantCulture, $"bytes {Start}-{End}/{representationLength}")
        : string.Create(CultureInfo.InvariantCulture, $"bytes */{representationLength}");

    /// <summary>
    /// Reads a Range header value (RFC 9110 §14.1.1: <c>bytes=first-last</c>, <c>bytes=first-</c>, <c>bytes=-suffix</c>)
    /// against a representation of <paramref name="length"/> bytes. A header that does not parse is ignored, as
    /// §14.2 says. A set of several ranges is answered with the whole representation: a server may ignore Range, and
    /// one 200 is cheaper for everyone than a multipart/byteranges body; clients that resume downloads ask for one.
    /// </summary>
    public static ByteRangeRequest Evaluate(string? header, long length)
    {
        if (string.IsNullOrEmpty(header))
        {
            return Whole;
        }
        int equals = header.IndexOf('=');
        if (equals < 0 || !header.AsSpan(0, equals).Trim().Equals("bytes", StringComparison.OrdinalIgnoreCase))
        {
            return Whole;   // another range unit, or no unit: not ours to answer (§14.1)
        }
        string[] specs = header[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (specs.Length == 0 || length == 0)
        {
            return Whole;   // nothing asked, or nothing to slice: an empty representation has no byte to point at
        }
        var satisfiable = new List<ByteRangeRequest>();
        foreach (string spec in specs)
        {
            if (!TryParseSpec(spec, length, out ByteRangeRequest? range))
            {
                return Whole;
            }
            if (range is { } found)
            {
                satisfiable.Add(found);
            }
        }
        if (satisfiable.Count == 0)
        {
            return new ByteRangeRequest(ByteRangeKind.NotSatisfiable);
        }
        return specs.Length == 1 ? satisfiable[0] : Whole;
    }

    /// <summary>Parses one range-spec; false when it is malformed, a null range when it is well-formed but unsatisfiable.</summary>
    private static bool TryParseSpec(string spec, long length, out ByteRangeRequest? range)
    {
        range = null;
        int dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return false;
        }
        string first = spec[..dash];
        string last = spec[(dash + 1)..];
        if (first.Length == 0)
        {
            // suffix-range: the last N bytes; a suffix longer than the representation selects all of it (§14.1.2).
            if (!TryParseDigits(last, out long suffix))
            {
                return false;
            }
            if (suffix > 0 && length > 0)
            {
                long count = Math.Min(suffix, length);
                range = new ByteRangeRequest(ByteRangeKind.Partial, length - count, count);
            }
            return true;
        }
        if (!TryParseDigits(first, out long start))
        {
            return false;
        }
        long end = long.MaxValue;
        if (last.Length > 0 && !TryParseDigits(last, out end))
        {
            return false;
        }
        if (end < start)
        {
            return false;   // "an int-range is invalid if the last-pos value is present and less than the first-pos" (§14.1.1)
        }
        if (start < length)
        {
            long inclusiveEnd = Math.Min(end, length - 1);
            range = new ByteRangeRequest(ByteRangeKind.Partial, start, inclusiveEnd - start + 1);
        }
        return true;
    }

    /// <summary>1*DIGIT; a number too large for a long still counts as a number (it is then past any file's end).</summary>
    private static bool TryParseDigits(string text, out long value)
    {
        value = 0;
        if (text.Length == 0 || !text.All(char.IsAsciiDigit))
        {
            return false;
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            value = long.MaxValue;
        }
        return true;
    }
}
