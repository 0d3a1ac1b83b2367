using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PyHost.Gateways.FastCgi;

/// <summary>
/// Writes FastCGI records into a buffer; the caller decides when the bytes go out. Content is padded to a multiple
/// of 8 bytes, which the spec recommends for alignment (§3.3), and long streams are split into records of at most
/// <see cref="MaxContentLength"/> bytes: the largest multiple of 8 under the 16-bit limit, so full records need no
/// padding.
/// </summary>
public static class FastCgiRecordWriter
{
    public const int MaxContentLength = 65528;

    /// <summary>One record; <paramref name="content"/> must be at most 65535 bytes.</summary>
    public static void WriteRecord(IBufferWriter<byte> output, FastCgiRecordType type, ushort requestId, ReadOnlySpan<byte> content)
    {
        if (content.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"a FastCGI record holds at most 65535 bytes, not {content.Length}", nameof(content));
        }
        int padding = (8 - content.Length % 8) % 8;
        int total = FastCgiRecordHeader.Size + content.Length + padding;
        Span<byte> span = output.GetSpan(total);
        new FastCgiRecordHeader(FastCgiProtocol.Version, type, requestId, (ushort)content.Length, (byte)padding).WriteTo(span);
        content.CopyTo(span[FastCgiRecordHeader.Size..]);
        span.Slice(FastCgiRecordHeader.Size + content.Length, padding).Clear();
        output.Advance(total);
    }

    /// <summary>Stream data (FCGI_STDOUT, FCGI_STDERR, FCGI_STDIN, FCGI_PARAMS) as as many records as it needs;
    /// nothing for empty data, since an empty record ends the stream (<see cref="WriteEndOfStream"/>).</summary>
    public static void WriteStream(IBufferWriter<byte> output, FastCgiRecordType type, ushort requestId, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int length = Math.Min(data.Length, MaxContentLength);
            WriteRecord(output, type, requestId, data[..length]);
            data = data[length..];
        }
    }

    public static void WriteStream(IBufferWriter<byte> output, FastCgiRecordType type, ushort requestId, ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            WriteStream(output, type, requestId, data.FirstSpan);
            return;
        }
        byte[] chunk = ArrayPool<byte>.Shared.Rent(MaxContentLength);
        try
        {
            while (!data.IsEmpty)
            {
                int length = (int)Math.Min(data.Length, MaxContentLength);
                data.Slice(0, length).CopyTo(chunk);
                WriteRecord(output, type, requestId, chunk.AsSpan(0, length));
                data = data.Slice(length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public static void WriteStdout(IBufferWriter<byte> output, ushort requestId, ReadOnlySequence<byte> data)
        => WriteStream(output, FastCgiRecordType.Stdout, requestId, data);

    public static void WriteStdout(IBufferWriter<byte> output, ushort requestId, ReadOnlySpan<byte> data)
        => WriteStream(output, FastCgiRecordType.Stdout, requestId, data);

    public static void WriteStderr(IBufferWriter<byte> output, ushort requestId, ReadOnlySpan<byte> data)
        => WriteStream(output, FastCgiRecordType.Stderr, requestId, data);

    /// <summary>The empty record that closes a stream (§3.3, "Stream records").</summary>
    public static void WriteEndOfStream(IBufferWriter<byte> output, FastCgiRecordType type, ushort requestId)
        => WriteRecord(output, type, requestId, []);

    /// <summary>FCGI_END_REQUEST (§5.5): the app's exit status and how the protocol ended the request.</summary>
    public static void WriteEndRequest(IBufferWriter<byte> output, ushort requestId, int appStatus, FastCgiProtocolStatus status)
    {
        Span<byte> body = stackalloc byte[FastCgiProtocol.FixedBodyLength];
        body.Clear();
        BinaryPrimitives.WriteInt32BigEndian(body, appStatus);
        body[4] = (byte)status;
        WriteRecord(output, FastCgiRecordType.EndRequest, requestId, body);
    }

    /// <summary>FCGI_UNKNOWN_TYPE (§4.2): the answer to a record type the application does not know.</summary>
    public static void WriteUnknownType(IBufferWriter<byte> output, byte unknownType)
    {
        Span<byte> body = stackalloc byte[FastCgiProtocol.FixedBodyLength];
        body.Clear();
        body[0] = unknownType;
        WriteRecord(output, FastCgiRecordType.UnknownType, FastCgiProtocol.NullRequestId, body);
    }

    /// <summary>FCGI_GET_VALUES_RESULT (§4.1): the values of the variables the web server asked about.</summary>
    public static void WriteGetValuesResult(IBufferWriter<byte> output, IEnumerable<KeyValuePair<string, string>> values)
    {
        var content = new ArrayBufferWriter<byte>(64);
        foreach (var (name, value) in values)
        {
            FastCgiNameValuePairs.Write(content, Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        }
        WriteRecord(output, FastCgiRecordType.GetValuesResult, FastCgiProtocol.NullRequestId, content.WrittenSpan);
    }

    // The web server's side, for tests and benchmarks that play it.

    public static void WriteBeginRequest(IBufferWriter<byte> output, ushort requestId, FastCgiRole role, bool keepConnection)
    {
        Span<byte> body = stackalloc byte[FastCgiProtocol.FixedBodyLength];
        body.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)role);
        body[2] = keepConnection ? FastCgiProtocol.KeepConnectionFlag : (byte)0;
        WriteRecord(output, FastCgiRecordType.BeginRequest, requestId, body);
    }

    /// <summary>The params as FCGI_PARAMS records, then the empty one that ends them. Names and values are latin-1.</summary>
    public static void WriteParams(IBufferWriter<byte> output, ushort requestId, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var content = new ArrayBufferWriter<byte>(1024);
        foreach (var (name, value) in parameters)
        {
            FastCgiNameValuePairs.Write(content, Encoding.Latin1.GetBytes(name), Encoding.Latin1.GetBytes(value));
        }
        WriteStream(output, FastCgiRecordType.Params, requestId, content.WrittenSpan);
        WriteEndOfStream(output, FastCgiRecordType.Params, requestId);
    }

    public static void WriteGetValues(IBufferWriter<byte> output, IEnumerable<string> names)
    {
        var content = new ArrayBufferWriter<byte>(64);
        foreach (string name in names)
        {
            FastCgiNameValuePairs.Write(content, Encoding.ASCII.GetBytes(name), []);
        }
        WriteRecord(output, FastCgiRecordType.GetValues, FastCgiProtocol.NullRequestId, content.WrittenSpan);
    }

    public static void WriteAbortRequest(IBufferWriter<byte> output, ushort requestId)
        => WriteRecord(output, FastCgiRecordType.AbortRequest, requestId, []);
}
