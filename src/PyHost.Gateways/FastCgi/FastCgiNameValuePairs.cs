using System.Buffers;
using System.Buffers.Binary;

namespace PyHost.Gateways.FastCgi;

/// <summary>
/// Name-value pairs (§3.4), the content of FCGI_PARAMS and FCGI_GET_VALUES: a name length, a value length, the
/// name, the value. A length under 128 is one byte; otherwise four, big-endian, with the top bit set.
/// </summary>
public static class FastCgiNameValuePairs
{
    /// <summary>Reads every pair of a whole stream (the PARAMS records' content put together); false with a reason
    /// when a length runs past the end or the limits are exceeded.</summary>
    public static bool TryParse(byte[] block, GatewayLimits limits, out CgiVariables? variables, out string? error)
    {
        variables = null;
        var parsed = new CgiVariables(block);
        int position = 0;
        while (position < block.Length)
        {
            if (parsed.Count == limits.MaxVariableCount)
            {
                error = $"more than {limits.MaxVariableCount} FastCGI params";
                return false;
            }
            if (!TryReadLength(block, ref position, out int nameLength) || !TryReadLength(block, ref position, out int valueLength)
                || (long)nameLength + valueLength > block.Length - position)
            {
                error = $"a FastCGI name-value pair runs past the end of its {block.Length}-byte stream";
                return false;
            }
            if (nameLength == 0)
            {
                error = "a FastCGI name-value pair has an empty name";
                return false;
            }
            parsed.Add(position, nameLength, position + nameLength, valueLength);
            position += nameLength + valueLength;
        }
        variables = parsed;
        error = null;
        return true;
    }

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        int size = LengthSize(name.Length) + LengthSize(value.Length) + name.Length + value.Length;
        Span<byte> span = output.GetSpan(size);
        int position = WriteLength(span, name.Length);
        position += WriteLength(span[position..], value.Length);
        name.CopyTo(span[position..]);
        value.CopyTo(span[(position + name.Length)..]);
        output.Advance(size);
    }

    public static int EncodedLength(int nameLength, int valueLength)
        => LengthSize(nameLength) + LengthSize(valueLength) + nameLength + valueLength;

    private static bool TryReadLength(byte[] block, ref int position, out int length)
    {
        length = 0;
        if (position >= block.Length)
        {
            return false;
        }
        if (block[position] < 0x80)
        {
            length = block[position++];
            return true;
        }
        if (block.Length - position < 4)
        {
            return false;
        }
        length = (int)(BinaryPrimitives.ReadUInt32BigEndian(block.AsSpan(position)) & 0x7FFF_FFFF);
        position += 4;
        return true;
    }

    private static int LengthSize(int length) => length < 0x80 ? 1 : 4;

    private static int WriteLength(Span<byte> span, int length)
    {
        if (length < 0x80)
        {
            span[0] = (byte)length;
            return 1;
        }
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)length | 0x8000_0000);
        return 4;
    }
}
