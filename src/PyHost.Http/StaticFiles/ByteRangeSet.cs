using System.Globalization;

namespace PyHost.Http.StaticFiles;

/// <summary>What a Range header asks of a representation of a known length.</summary>
public enum ByteRangeKind
{
    /// <summary>No usable range: send the whole representation with 200 (RFC 9110 §14.2 lets a server ignore Range).</summary>
    WholeRepresentation,

    /// <summary>One or more satisfiable ranges: 206, one part with Content-Range or multipart/byteranges (RFC 9110 §15.3.7).</summary>
    Partial,

    /// <summary>No range overlaps the representation: 416 with <c>Content-Range: bytes */LENGTH</c> (RFC 9110 §15.5.17).</summary>
    NotSatisfiable,
}

/// <summary>One satisfiable byte range: <see cref="Length"/> bytes from <see cref="Start"/>.</summary>
public readonly record struct ByteRange(long Start, long Length)
{
    /// <summary>The last byte position, inclusive, as Content-Range writes it.</summary>
    public long End => Start + Length - 1;

    /// <summary>The Content-Range value of this range (RFC 9110 §14.4).</summary>
    public string ContentRange(long representationLength) =>
        string.Create(CultureInfo.InvariantCulture, $"bytes {Start}-{End}/{representationLength}");

    public bool Overlaps(ByteRange other) => Start <= other.End && other.Start <= End;
}

/// <summary>The outcome of <see cref="ByteRangeSet.Evaluate"/>; <see cref="Ranges"/> is non-empty for <see cref="ByteRangeKind.Partial"/>.</summary>
public sealed record ByteRangeSet(ByteRangeKind Kind, IReadOnlyList<ByteRange> Ranges)
{
    /// <summary>The default bound on the ranges of one request; more are answered with the whole file.</summary>
    public const int DefaultMaxRanges = 16;

    public static readonly ByteRangeSet Whole = new(ByteRangeKind.WholeRepresentation, []);

    public static readonly ByteRangeSet NotSatisfiable = new(ByteRangeKind.NotSatisfiable, []);

    /// <summary>The Content-Range of a 416 (RFC 9110 §14.4: <c>bytes */LENGTH</c>).</summary>
    public static string UnsatisfiedContentRange(long representationLength) =>
        string.Create(CultureInfo.InvariantCulture, $"bytes */{representationLength}");

    /// <summary>
    /// Reads a Range header value (RFC 9110 §14.1.1: <c>bytes=first-last</c>, <c>bytes=first-</c>, <c>bytes=-suffix</c>,
    /// comma-separated) against a representation of <paramref name="length"/> bytes.
    /// <list type="bullet">
    /// <item>A header that does not parse, another unit, or an empty representation: the whole representation (§14.2).</item>
    /// <item>Unsatisfiable ranges are dropped; when none is left, 416 (§15.5.17).</item>
    /// <item>The satisfiable ranges are kept in the order asked, each one a part (§14.6).</item>
    /// <item>More than <paramref name="maxRanges"/> ranges, or two ranges that overlap, get the whole
    /// representation: §14.3 lets a server ignore such a set, and one 200 costs less than a multipart body that
    /// repeats bytes or splits a file into many tiny parts (a known denial-of-service pattern, CVE-2011-3192).</item>
    /// </list>
    /// </summary>
    public static ByteRangeSet Evaluate(string? header, long length, int maxRanges = DefaultMaxRanges)
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
        if (specs.Length == 0 || length == 0 || specs.Length > maxRanges)
        {
            return Whole;   // nothing asked, nothing to slice, or more parts than we answer
        }
        var satisfiable = new List<ByteRange>(specs.Length);
        foreach (string spec in specs)
        {
            if (!TryParseSpec(spec, length, out ByteRange? range))
            {
                return Whole;
            }
            if (range is { } found)
            {
                if (satisfiable.Any(earlier => earlier.Overlaps(found)))
                {
                    return Whole;
                }
                satisfiable.Add(found);
            }
        }
        return satisfiable.Count == 0 ? NotSatisfiable : new ByteRangeSet(ByteRangeKind.Partial, satisfiable);
    }

    /// <summary>Parses one range-spec; false when it is malformed, a null range when it is well-formed but unsatisfiable.</summary>
    private static bool TryParseSpec(string spec, long length, out ByteRange? range)
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
            if (suffix > 0)
            {
                long count = Math.Min(suffix, length);
                range = new ByteRange(length - count, count);
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
            range = new ByteRange(start, inclusiveEnd - start + 1);
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
