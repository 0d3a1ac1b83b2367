using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>What came back on one HTTP/2 stream, or for the whole connection.</summary>
public sealed record Http2Answer(int? Status, string Body, int? ResetCode, int? GoAwayCode)
{
    public override string ToString() => $"status {Status?.ToString() ?? "-"}, RST_STREAM {ResetCode?.ToString() ?? "-"}, GOAWAY {GoAwayCode?.ToString() ?? "-"}\n{Body}";
}

/// <summary>
/// Prior-knowledge HTTP/2 (h2c, RFC 9113 §3.3) over a bare socket, with header blocks written by hand as HPACK literals
/// (RFC 7541 §6.2.2), so a test can send what no HTTP/2 client library would: upper-case names, connection-specific
/// fields, control bytes. Reads only what a test needs back: :status, DATA, RST_STREAM and GOAWAY.
/// </summary>
public sealed class RawHttp2Connection : IAsyncDisposable
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Socket socket;
    private readonly NetworkStream stream;

    private RawHttp2Connection(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawHttp2Connection> OpenAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        var connection = new RawHttp2Connection(socket);
        await connection.stream.WriteAsync(Preface.Concat(Frame(4, 0, 0, [])).ToArray());
        return connection;
    }

    /// <summary>Sends a GET on stream 1 with these fields after the pseudo-headers, and reads its answer.</summary>
    public async Task<Http2Answer> GetAsync(string path, IEnumerable<(string Name, string Value)> fields)
    {
        var block = new List<byte>();
        foreach (var (name, value) in new[] { (":method", "GET"), (":scheme", "http"), (":path", path), (":authority", "test") }.Concat(fields))
        {
            block.Add(0x00);   // literal header field without indexing, new name
            AddString(block, name);
            AddString(block, value);
        }
        await stream.WriteAsync(Frame(1, 0x5, 1, [.. block]));   // HEADERS, END_STREAM | END_HEADERS
        return await ReadAnswerAsync(streamId: 1);
    }

    private async Task<Http2Answer> ReadAnswerAsync(int streamId)
    {
        int? status = null;
        var body = new StringBuilder();
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            byte[] header = new byte[9];
            if (!await ReadExactlyOrEndAsync(header, timeout.Token))
            {
                return new Http2Answer(status, body.ToString(), null, null);
            }
            int length = (header[0] << 16) | (header[1] << 8) | header[2];
            byte type = header[3];
            byte flags = header[4];
            int stream = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
            byte[] payload = new byte[length];
            if (!await ReadExactlyOrEndAsync(payload, timeout.Token))
            {
                return new Http2Answer(status, body.ToString(), null, null);
            }
            switch (type)
            {
                case 0 when stream == streamId:
                    body.Append(Encoding.UTF8.GetString(payload));
                    if ((flags & 0x1) != 0)
                    {
                        return new Http2Answer(status, body.ToString(), null, null);
                    }
                    break;
                case 1 when stream == streamId:
                    status = DecodeStatus(payload);
                    if ((flags & 0x1) != 0)
                    {
                        return new Http2Answer(status, body.ToString(), null, null);
                    }
                    break;
                case 3 when stream == streamId:
                    return new Http2Answer(status, body.ToString(), BinaryPrimitives.ReadInt32BigEndian(payload), null);
                case 7:
                    return new Http2Answer(status, body.ToString(), null, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)));
            }
        }
    }

    /// <summary>:status is the first field Kestrel writes: from the static table (RFC 7541 Appendix A) or a literal.</summary>
    private static int DecodeStatus(byte[] block)
    {
        int[] indexed = [200, 204, 206, 304, 400, 404, 500];
        if ((block[0] & 0x80) != 0 && (block[0] & 0x7F) is >= 8 and <= 14)
        {
            return indexed[(block[0] & 0x7F) - 8];
        }
        // A literal whose name is static entry 8 (":status"), its value written out (not Huffman-coded).
        int nameIndex = (block[0] & 0x40) != 0 ? block[0] & 0x3F : block[0] & 0x0F;
        if (nameIndex is >= 8 and <= 14 && (block[1] & 0x80) == 0)
        {
            return int.Parse(Encoding.ASCII.GetString(block, 2, block[1]));
        }
        throw new FormatException($"Cannot read :status from a header block starting {Convert.ToHexString(block, 0, Math.Min(8, block.Length))}");
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer, CancellationToken cancellation)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellation);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void AddString(List<byte> block, string text)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(text);
        // RFC 7541 §5.1: a 7-bit prefix integer, without the Huffman bit.
        int length = bytes.Length;
        if (length < 127)
        {
            block.Add((byte)length);
        }
        else
        {
            block.Add(127);
            length -= 127;
            while (length >= 128)
            {
                block.Add((byte)((length & 0x7F) | 0x80));
                length >>= 7;
            }
            block.Add((byte)length);
        }
        block.AddRange(bytes);
    }

    private static byte[] Frame(byte type, byte flags, int streamId, byte[] payload)
    {
        byte[] frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        return frame;
    }

    public ValueTask DisposeAsync()
    {
        stream.Dispose();
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
