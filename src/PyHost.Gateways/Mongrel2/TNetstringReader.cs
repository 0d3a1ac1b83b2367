using System.Buffers;

namespace PyHost.Gateways.Mongrel2;

/// <summary>Bounds on one tnetstring, so a hostile message cannot make the reader recurse or allocate without end.</summary>
public sealed record TNetstringLimits
{
    public static readonly TNetstringLimits Default = new();

    /// <summary>The size of one value, its framing excluded.</summary>
    public int MaxBytes { get; init; } = 64 * 1024;

    /// <summary>Lists and dictionaries inside each other.</summary>
    public int MaxDepth { get; init; } = 8;

    /// <summary>Items of a list, or entries of a dictionary.</summary>
    public int MaxItems { get; init; } = 256;
}

/// <summary>
/// Reads tnetstrings (tnetstrings.org): <c>SIZE ":" DATA TYPE</c>, SIZE at most 9 decimal digits, TYPE one of
/// <c>, # ! ~ } ]</c>. Floats (<c>^</c>) are refused: Mongrel2 never sends them. Pure, no I/O.
/// </summary>
public static class TNetstringReader
{
    /// <summary>
    /// <see cref="OperationStatus.Done"/> with the value, the reader past it; <see cref="OperationStatus.NeedMoreData"/>
    /// with nothing consumed; <see cref="OperationStatus.InvalidData"/> with a one-line reason.
    /// </summary>
    public static OperationStatus TryRead(
        ref SequenceReader<byte> reader, TNetstringLimits limits, out TNetstring? value, out string? error)
    {
        value = null;
        OperationStatus status = TryReadSize(reader, limits, out int size, out int prefixLength, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }
        if (reader.Remaining < prefixLength + size + 1)
        {
            return OperationStatus.NeedMoreData;
        }
        // One copy of the value; strings inside it are slices of that copy.
        var data = new byte[size + 1];
        reader.UnreadSequence.Slice(prefixLength, size + 1).CopyTo(data);
        if (!TryParse(data.AsMemory(0, size), data[size], limits, depth: 1, out value, out error))
        {
            return OperationStatus.InvalidData;
        }
        reader.Advance(prefixLength + size + 1);
        return OperationStatus.Done;
    }

    private static OperationStatus TryReadSize(
        SequenceReader<byte> reader, TNetstringLimits limits, out int size, out int prefixLength, out string? error)
    {
        error = null;
        OperationStatus status = NetstringLength.TryRead(reader, leadingZeroAllowed: true, out size, out prefixLength);
        if (status == OperationStatus.InvalidData)
        {
            error = $"a tnetstring starts with its size: at most {NetstringLength.MaxDigits} decimal digits, then ':'";
        }
        else if (status == OperationStatus.Done && size > limits.MaxBytes)
        {
            error = $"a tnetstring of {size} bytes is over the limit of {limits.MaxBytes}";
            return OperationStatus.InvalidData;
        }
        return status;
    }

    /// <summary>Parses one value whose size prefix is already read: <paramref name="data"/> and its type byte.</summary>
    private static bool TryParse(ReadOnlyMemory<byte> data, byte type, TNetstringLimits limits, int depth,
        out TNetstring? value, out string? error)
    {
        value = null;
        error = null;
        ReadOnlySpan<byte> span = data.Span;
        switch ((TNetstringType)type)
        {
            case TNetstringType.String:
                value = TNetstring.FromBytes(data);
                return true;
            case TNetstringType.Integer:
                if (!TryParseInteger(span, out long integer))
                {
                    error = $"tnetstring integer '{GatewayRequest.Describe(span)}' is not a decimal number that fits 64 bits";
                    return false;
                }
                value = TNetstring.FromInteger(integer);
                return true;
            case TNetstringType.Boolean:
                if (!span.SequenceEqual("true"u8) && !span.SequenceEqual("false"u8))
                {
                    error = $"tnetstring boolean '{GatewayRequest.Describe(span)}' is neither true nor false";
                    return false;
                }
                value = TNetstring.FromBoolean(span[0] == (byte)'t');
                return true;
            case TNetstringType.Null:
                if (!span.IsEmpty)
                {
                    error = "a tnetstring null has data; its size must be 0";
                    return false;
                }
                value = TNetstring.Null;
                return true;
            case TNetstringType.List:
            case TNetstringType.Dictionary:
                if (depth > limits.MaxDepth)
                {
                    error = $"tnetstrings nested more than {limits.MaxDepth} deep";
                    return false;
                }
                return (TNetstringType)type == TNetstringType.List
                    ? TryParseList(data, limits, depth, out value, out error)
                    : TryParseDictionary(data, limits, depth, out value, out error);
            default:
                error = type == (byte)'^'
                    ? "tnetstring floats ('^') are not part of what Mongrel2 sends"
                    : $"unknown tnetstring type '{(char)type}' (0x{type:X2})";
                return false;
        }
    }

    private static bool TryParseList(ReadOnlyMemory<byte> data, TNetstringLimits limits, int depth,
        out TNetstring? value, out string? error)
    {
        value = null;
        var items = new List<TNetstring>();
        while (!data.IsEmpty)
        {
            if (items.Count == limits.MaxItems)
            {
                error = $"a tnetstring list has more than {limits.MaxItems} items";
                return false;
            }
            if (!TryParseNested(ref data, limits, depth, out TNetstring? item, out error))
            {
                return false;
            }
            items.Add(item!);
        }
        value = TNetstring.FromList(items);
        error = null;
        return true;
    }

    private static bool TryParseDictionary(ReadOnlyMemory<byte> data, TNetstringLimits limits, int depth,
        out TNetstring? value, out string? error)
    {
        value = null;
        var entries = new List<KeyValuePair<string, TNetstring>>();
        while (!data.IsEmpty)
        {
            if (entries.Count == limits.MaxItems)
            {
                error = $"a tnetstring dictionary has more than {limits.MaxItems} entries";
                return false;
            }
            if (!TryParseNested(ref data, limits, depth, out TNetstring? key, out error))
            {
                return false;
            }
            if (key!.Type != TNetstringType.String)
            {
                error = $"a tnetstring dictionary key is a {key.Type}, not a string";
                return false;
            }
            if (data.IsEmpty)
            {
                error = $"tnetstring dictionary key '{key.Latin1}' has no value";
                return false;
            }
            if (!TryParseNested(ref data, limits, depth, out TNetstring? item, out error))
            {
                return false;
            }
            entries.Add(new(key.Latin1, item!));
        }
        value = TNetstring.FromEntries(entries);
        error = null;
        return true;
    }

    /// <summary>Parses the value at the start of <paramref name="data"/> and moves past it.</summary>
    private static bool TryParseNested(ref ReadOnlyMemory<byte> data, TNetstringLimits limits, int depth,
        out TNetstring? value, out string? error)
    {
        value = null;
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(data));
        OperationStatus status = TryReadSize(reader, limits, out int size, out int prefixLength, out error);
        if (status == OperationStatus.NeedMoreData || (status == OperationStatus.Done && data.Length < prefixLength + size + 1))
        {
            error = "a tnetstring inside a list or dictionary runs past the end of its container";
            return false;
        }
        if (status != OperationStatus.Done)
        {
            return false;
        }
        ReadOnlyMemory<byte> inner = data.Slice(prefixLength, size);
        byte type = data.Span[prefixLength + size];
        data = data[(prefixLength + size + 1)..];
        return TryParse(inner, type, limits, depth + 1, out value, out error);
    }

    private static bool TryParseInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        bool negative = !text.IsEmpty && text[0] == (byte)'-';
        ReadOnlySpan<byte> digits = negative ? text[1..] : text;
        if (!GatewayRequest.TryParseLength(digits, out long magnitude))
        {
            return false;
        }
        value = negative ? -magnitude : magnitude;
        return true;
    }
}
