using System.Buffers;

namespace PyHost.Gateways.Scgi;

/// <summary>
/// Reads the headers of an SCGI request (Neil Schemenauer, "SCGI: A Simple Common Gateway Interface alternative",
/// 2008): a netstring <c>length ":" headers ","</c> whose headers are NUL-terminated names and values, the first
/// CONTENT_LENGTH, and SCGI=1 among them. The body, CONTENT_LENGTH bytes, follows. Pure: no I/O.
/// </summary>
/// <remarks>The spec forbids repeated names, but nginx before 1.23 sends a repeated request header as repeated
/// HTTP_* headers; they are accepted and joined later, as for uwsgi and FastCGI.</remarks>
public static class ScgiRequestReader
{
    /// <summary>
    /// <see cref="OperationStatus.Done"/> with the headers and the body length, the reader past the netstring;
    /// <see cref="OperationStatus.NeedMoreData"/> with nothing consumed; <see cref="OperationStatus.InvalidData"/>
    /// with a one-line reason.
    /// </summary>
    public static OperationStatus TryRead(
        ref SequenceReader<byte> reader, GatewayLimits limits, out CgiVariables? variables, out long contentLength,
        out string? error)
    {
        variables = null;
        contentLength = 0;
        OperationStatus status = TryReadNetstringLength(reader, limits, out int length, out int prefixLength, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }
        if (reader.Remaining < prefixLength + length + 1)
        {
            return OperationStatus.NeedMoreData;
        }

        ReadOnlySequence<byte> rest = reader.UnreadSequence.Slice(prefixLength);
        var block = new byte[length];
        rest.Slice(0, length).CopyTo(block);
        if (rest.Slice(length).FirstSpan[0] != (byte)',')
        {
            error = "the SCGI netstring does not end with ','";
            return OperationStatus.InvalidData;
        }
        if (!TryParseHeaders(block, limits, out variables, out contentLength, out error))
        {
            return OperationStatus.InvalidData;
        }
        reader.Advance(prefixLength + length + 1);
        return OperationStatus.Done;
    }

    /// <summary>The netstring's decimal length and the bytes up to and including its ':'.</summary>
    private static OperationStatus TryReadNetstringLength(
        SequenceReader<byte> reader, GatewayLimits limits, out int length, out int prefixLength, out string? error)
    {
        error = null;
        OperationStatus status = NetstringLength.TryRead(reader, leadingZeroAllowed: false, out length, out prefixLength);
        if (status == OperationStatus.InvalidData)
        {
            error = "an SCGI request starts with a netstring: its length in decimal (no leading zero), then ':'";
        }
        else if (status == OperationStatus.Done && length > limits.MaxVariablesBytes)
        {
            error = $"SCGI headers of {length} bytes are over the limit of {limits.MaxVariablesBytes}";
            return OperationStatus.InvalidData;
        }
        return status;
    }

    private static bool TryParseHeaders(
        byte[] block, GatewayLimits limits, out CgiVariables? variables, out long contentLength, out string? error)
    {
        variables = null;
        var parsed = new CgiVariables(block);
        contentLength = 0;
        int position = 0;
        while (position < block.Length)
        {
            if (parsed.Count == limits.MaxVariableCount)
            {
                error = $"more than {limits.MaxVariableCount} SCGI headers";
                return false;
            }
            int nameEnd = Array.IndexOf(block, (byte)0, position);
            int valueEnd = nameEnd < 0 ? -1 : Array.IndexOf(block, (byte)0, nameEnd + 1);
            if (valueEnd < 0)
            {
                error = "an SCGI header is not NUL-terminated (each name and value ends with a NUL byte)";
                return false;
            }
            if (nameEnd == position)
            {
                error = "an SCGI header has an empty name";
                return false;
            }
            parsed.Add(position, nameEnd - position, nameEnd + 1, valueEnd - nameEnd - 1);
            position = valueEnd + 1;
        }
        if (!TryCheckRequiredHeaders(parsed, out contentLength, out error))
        {
            contentLength = 0;
            return false;
        }
        variables = parsed;
        return true;
    }

    private static bool TryCheckRequiredHeaders(CgiVariables variables, out long contentLength, out string? error)
    {
        contentLength = 0;
        // "The first header must have the name CONTENT_LENGTH and a value that is a nonempty sequence of ASCII
        // digits" and "There must also always be a header with the name SCGI and a value of 1" (spec §3).
        if (variables.Count == 0 || !variables.NameAt(0).SequenceEqual("CONTENT_LENGTH"u8))
        {
            string first = variables.Count == 0 ? "nothing" : GatewayRequest.Describe(variables.NameAt(0));
            error = $"the first SCGI header must be CONTENT_LENGTH, not {first}";
            return false;
        }
        if (!GatewayRequest.TryParseLength(variables.ValueAt(0), out contentLength))
        {
            error = $"SCGI CONTENT_LENGTH '{GatewayRequest.Describe(variables.ValueAt(0))}' is not a length in digits";
            return false;
        }
        if (!variables.TryGetValue("SCGI"u8, out ReadOnlySpan<byte> version) || !version.SequenceEqual("1"u8))
        {
            error = "the SCGI request has no SCGI=1 header";
            return false;
        }
        error = null;
        return true;
    }
}
