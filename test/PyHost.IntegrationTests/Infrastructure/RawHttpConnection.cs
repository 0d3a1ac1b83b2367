using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// HTTP/1.1 over a bare socket, so a test controls every byte it sends and sees every byte it gets: pipelining,
/// chunk-by-chunk reads with timing, truncated responses. Every read has a timeout, so a broken server fails a test
/// instead of hanging the suite. A reset from the server counts as the end of the stream.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private const string NoResponse = "The server closed the connection instead of sending a response.";

    private readonly Socket socket;
    private byte[] buffer = new byte[64 * 1024];
    private int start;
    private int end;

    private RawHttpConnection(Socket socket) => this.socket = socket;

    /// <summary>How long one send or one receive may take before the test fails.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>True once the server closed (or reset) the connection.</summary>
    public bool ServerClosed { get; private set; }

    /// <summary>Connects to <paramref name="endPoint"/>; from <paramref name="localAddress"/> when given (any 127.0.0.0/8
    /// address works on loopback, so a test can be a client other than 127.0.0.1).</summary>
    public static async Task<RawHttpConnection> OpenAsync(EndPoint endPoint, IPAddress? localAddress = null)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (localAddress is not null)
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await socket.ConnectAsync(endPoint, timeout.Token);
            return new RawHttpConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends text as latin-1: one char, one byte.</summary>
    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            while (!bytes.IsEmpty)
            {
                bytes = bytes[await socket.SendAsync(bytes, SocketFlags.None, timeout.Token)..];
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The server did not take {bytes.Length} more bytes within {Timeout.TotalSeconds} s.");
        }
    }

    /// <summary>Reads one response; <paramref name="bodyAllowed"/> is false for the answer to a HEAD request.</summary>
    public async Task<RawHttpResponse> ReadResponseAsync(bool bodyAllowed = true) =>
        await ReadResponseOrNullAsync(bodyAllowed) ?? throw new EndOfStreamException(NoResponse);

    /// <summary>Reads one response, or returns null when the server closed the connection before its first byte.</summary>
    public async Task<RawHttpResponse?> ReadResponseOrNullAsync(bool bodyAllowed = true)
    {
        var head = await ReadHeadOrNullAsync();
        if (head is null)
        {
            return null;
        }
        if (!bodyAllowed || head.StatusCode is (>= 100 and < 200) or 204 or 304)
        {
            return new RawHttpResponse(head, [], IsComplete: true);
        }
        var body = new MemoryStream();
        if (head.IsChunked)
        {
            try
            {
                while (await ReadChunkAsync() is { } chunk)
                {
                    body.Write(chunk);
                }
            }
            catch (EndOfStreamException)
            {
                return new RawHttpResponse(head, body.ToArray(), IsComplete: false);
            }
            return new RawHttpResponse(head, body.ToArray(), IsComplete: true);
        }
        if (head.ContentLength is { } length)
        {
            var bytes = await ReadAtMostAsync(length);
            return new RawHttpResponse(head, bytes, IsComplete: bytes.Length == length);
        }
        // RFC 9112 §6.3: no length and no chunking means the body ends when the connection does.
        return new RawHttpResponse(head, await ReadToEndAsync(), IsComplete: true);
    }

    public async Task<RawHttpResponseHead> ReadHeadAsync() => await ReadHeadOrNullAsync() ?? throw new EndOfStreamException(NoResponse);

    /// <summary>
    /// Reads the next chunk of a chunked body: its data, or null for the last (zero-size) chunk, after which the
    /// trailer section has been read too. Throws EndOfStreamException when the connection ends inside the body.
    /// </summary>
    public async Task<byte[]?> ReadChunkAsync()
    {
        var sizeLine = await ReadLineAsync() ?? throw new EndOfStreamException("The connection ended before the next chunk.");
        var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (size == 0)
        {
            // The trailer section, up to the empty line that really ends the message (RFC 9112 §7.1).
            while (await ReadLineAsync() is var line && line != "")
            {
                if (line is null)
                {
                    throw new EndOfStreamException("The connection ended before the empty line after the last chunk.");
                }
            }
            return null;
        }
        var data = await ReadAtMostAsync(size);
        var afterData = data.Length < size ? null : await ReadLineAsync();
        return afterData switch
        {
            null => throw new EndOfStreamException($"The connection ended inside a chunk of {size} bytes."),
            "" => data,
            _ => throw new FormatException($"A chunk of {size} bytes is followed by more data: {afterData}"),
        };
    }

    /// <summary>Everything the server sends until it closes the connection.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        while (await FillAsync())
        {
        }
        return Take(end - start);
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<RawHttpResponseHead?> ReadHeadOrNullAsync()
    {
        var statusLine = await ReadLineAsync();
        if (statusLine is null)
        {
            if (end > start)
            {
                throw new FormatException($"The connection ended inside a status line: {Encoding.Latin1.GetString(buffer, start, end - start)}");
            }
            return null;
        }
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/", StringComparison.Ordinal) || !int.TryParse(parts[1], out var status))
        {
            throw new FormatException($"Not an HTTP status line: {statusLine}");
        }
        var text = new StringBuilder(statusLine);
        var headers = new List<KeyValuePair<string, string>>();
        while (true)
        {
            var line = await ReadLineAsync() ?? throw new EndOfStreamException($"The connection ended inside the header section:\n{text}");
            if (line.Length == 0)
            {
                break;
            }
            text.Append("\r\n").Append(line);
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new FormatException($"Not a header field line: {line}\n{text}");
            }
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }
        return new RawHttpResponseHead(parts[0], status, parts.Length > 2 ? parts[2] : "", headers) { Text = text.ToString() };
    }

    /// <summary>A line without its CRLF, or null when the connection ended first (the partial line stays buffered).</summary>
    private async Task<string?> ReadLineAsync()
    {
        var scanned = start;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', scanned, end - scanned);
            if (newline >= 0)
            {
                var length = newline - start;
                var line = Encoding.Latin1.GetString(buffer, start, length > 0 && buffer[newline - 1] == '\r' ? length - 1 : length);
                start = newline + 1;
                return line;
            }
            scanned = end;
            var offset = start;
            if (!await FillAsync())
            {
                return null;
            }
            scanned -= offset - start;
        }
    }

    private async Task<byte[]> ReadAtMostAsync(long count)
    {
        while (end - start < count && await FillAsync())
        {
        }
        return Take((int)Math.Min(count, end - start));
    }

    private byte[] Take(int count)
    {
        var taken = buffer.AsSpan(start, count).ToArray();
        start += count;
        return taken;
    }

    /// <summary>Receives more bytes into the buffer; false at end of stream.</summary>
    private async Task<bool> FillAsync()
    {
        if (ServerClosed)
        {
            return false;
        }
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buffer.Length)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }
        using var timeout = new CancellationTokenSource(Timeout);
        int received;
        try
        {
            received = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The server sent nothing for {Timeout.TotalSeconds} s.");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            received = 0;
        }
        if (received == 0)
        {
            ServerClosed = true;
            return false;
        }
        end += received;
        return true;
    }
}
