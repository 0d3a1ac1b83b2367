using System.Buffers;
using System.Buffers.Binary;

namespace PyHost.Gateways.Uwsgi;

/// <summary>
/// Reads the start of a uwsgi WSGI request: the packet header and its vars, each var a 16-bit little-endian key
/// length, the key, a 16-bit value length, the value (uWSGI docs, "The uwsgi Protocol" and "uwsgi packet header").
/// Pure: no I/O, nothing consumed until the whole vars block has arrived.
/// </summary>
public static class UwsgiRequestReader
{
    /// <summary>
    /// <see cref="OperationStatus.Done"/> with the request, the reader past its vars (the body follows);
    /// <see cref="OperationStatus.NeedMoreData"/> with nothing consumed; <see cref="OperationStatus.InvalidData"/>
    /// with a one-line reason, after which the connection cannot be trusted.
    /// </summary>
    public static OperationStatus TryRead(
        ref SequenceReader<byte> reader, GatewayLimits limits, out UwsgiRequest? request, out string? error)
    {
        request = null;
        error = null;
        Span<byte> headerBytes = stackalloc byte[UwsgiPacketHeader.Size];
        if (!reader.TryCopyTo(headerBytes))
        {
            return OperationStatus.NeedMoreData;
        }
        UwsgiPacketHeader header = UwsgiPacketHeader.Read(headerBytes);
        if (header.Modifier1 != UwsgiPacketHeader.WsgiRequest)
        {
            error = $"uwsgi packet with modifier1 {header.Modifier1}: PyHost serves WSGI requests only (modifier1 0)";
            return OperationStatus.InvalidData;
        }
        if (header.DataSize > limits.MaxVariablesBytes)
        {
            error = $"uwsgi vars block of {header.DataSize} bytes is over the limit of {limits.MaxVariablesBytes}";
            return OperationStatus.InvalidData;
        }
        if (reader.Remaining < UwsgiPacketHeader.Size + header.DataSize)
        {
            return OperationStatus.NeedMoreData;
        }

        var block = new byte[header.DataSize];
        reader.UnreadSequence.Slice(UwsgiPacketHeader.Size, block.Length).CopyTo(block);
        if (!TryParseVars(block, limits, out CgiVariables? variables, out error))
        {
            return OperationStatus.InvalidData;
        }
        reader.Advance(UwsgiPacketHeader.Size + block.Length);
        request = new UwsgiRequest(header, variables!);
        return OperationStatus.Done;
    }

    private static bool TryParseVars(byte[] block, GatewayLimits limits, out CgiVariables? variables, out string? error)
    {
        variables = null;
        var parsed = new CgiVariables(block);
        int position = 0;
        while (position < block.Length)
        {
            if (parsed.Count == limits.MaxVariableCount)
            {
                error = $"more than {limits.MaxVariableCount} uwsgi vars";
                return false;
            }
            if (!TryReadString(block, ref position, out int keyStart, out int keyLength)
                || !TryReadString(block, ref position, out int valueStart, out int valueLength))
            {
                error = $"a uwsgi var's length runs past the end of the {block.Length}-byte vars block";
                return false;
            }
            if (keyLength == 0)
            {
                error = "a uwsgi var has an empty name";
                return false;
            }
            parsed.Add(keyStart, keyLength, valueStart, valueLength);
        }
        variables = parsed;
        error = null;
        return true;
    }

    private static bool TryReadString(byte[] block, ref int position, out int start, out int length)
    {
        start = position + 2;
        length = 0;
        if (block.Length - position < 2)
        {
            return false;
        }
        length = BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(position));
        if (block.Length - start < length)
        {
            return false;
        }
        position = start + length;
        return true;
    }
}
