using System.Buffers;
using System.Globalization;
using System.Text;

namespace OpenLoop;

/// <summary>
/// Reads one HTTP/1.1 response as its bytes arrive, skipping the body: only where it ends matters here. Pure: no
/// socket. <see cref="TryRead"/> consumes what it can and returns false for "need more bytes".
/// </summary>
public sealed class ResponseReader
{
    private const int MaxHeadBytes = 64 * 1024;

    private enum State { Head, FixedBody, ChunkSize, ChunkData, ChunkDataEnd, Trailer, UntilClose, Done }

    private State _state;
    private long _remaining;

    public int Status { get; private set; }

    /// <summary>Whether the connection may carry another request after this response (RFC 9112 §9.3).</summary>
    public bool KeepAlive { get; private set; }

    /// <summary>The body has no declared length: it ends when the server closes (RFC 9112 §6.3, rule 8).</summary>
    public bool EndsAtClose => _state == State.UntilClose;

    public void Reset()
    {
        _state = State.Head;
        _remaining = 0;
        Status = 0;
        KeepAlive = false;
    }

    /// <summary>True once the whole response has been read. Throws <see cref="InvalidDataException"/> on bytes that
    /// are not a response.</summary>
    public bool TryRead(ref SequenceReader<byte> reader)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Head:
                    if (!reader.TryReadTo(out ReadOnlySequence<byte> head, "\r\n\r\n"u8))
                    {
                        if (reader.Remaining > MaxHeadBytes)
                        {
                            throw new InvalidDataException("a response head over 64 KiB");
                        }
                        return false;
                    }
                    ReadHead(Encoding.Latin1.GetString(head));
                    break;
                case State.FixedBody:
                case State.ChunkData:
                    long take = Math.Min(_remaining, reader.Remaining);
                    reader.Advance(take);
                    _remaining -= take;
                    if (_remaining > 0)
                    {
                        return false;
                    }
                    _state = _state == State.FixedBody ? State.Done : State.ChunkDataEnd;
                    break;
                case State.ChunkDataEnd:
                    if (reader.Remaining < 2)
                    {
                        return false;
                    }
                    if (!reader.IsNext("\r\n"u8, advancePast: true))
                    {
                        throw new InvalidDataException("chunk data not followed by CRLF");
                    }
                    _state = State.ChunkSize;
                    break;
                case State.ChunkSize:
                    if (!reader.TryReadTo(out ReadOnlySequence<byte> sizeLine, "\r\n"u8))
                    {
                        return false;
                    }
                    _remaining = ChunkSize(Encoding.Latin1.GetString(sizeLine));
                    _state = _remaining == 0 ? State.Trailer : State.ChunkData;
                    break;
                case State.Trailer:
                    // RFC 9112 §7.1.2: trailer fields, then an empty line.
                    if (!reader.TryReadTo(out ReadOnlySequence<byte> trailer, "\r\n"u8))
                    {
                        return false;
                    }
                    if (trailer.IsEmpty)
                    {
                        _state = State.Done;
                    }
                    break;
                case State.UntilClose:
                    reader.Advance(reader.Remaining);
                    return false;
                case State.Done:
                    return true;
            }
        }
    }

    private void ReadHead(string head)
    {
        string[] lines = head.Split("\r\n");
        string[] statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
        {
            throw new InvalidDataException($"not a status line: {lines[0]}");
        }
        Status = status;
        // HTTP/1.1 persists unless told to close; HTTP/1.0 only when told to keep alive (RFC 9112 §9.3).
        bool http11 = statusLine[0] == "HTTP/1.1";
        bool close = false, keepAlive = false, chunked = false;
        long? length = null;
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            string name = line[..colon];
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Split(',')[^1].Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                foreach (string option in value.Split(','))
                {
                    close |= option.Trim().Equals("close", StringComparison.OrdinalIgnoreCase);
                    keepAlive |= option.Trim().Equals("keep-alive", StringComparison.OrdinalIgnoreCase);
                }
            }
        }
        KeepAlive = !close && (http11 || keepAlive);
        if (status is >= 100 and < 200)
        {
            _state = State.Head; // an interim response: the final one follows (RFC 9110 §15.2)
        }
        else if (status is 204 or 304)
        {
            _state = State.Done; // never a body (RFC 9112 §6.3, rule 1)
        }
        else if (chunked)
        {
            _state = State.ChunkSize;
        }
        else if (length is { } bytes)
        {
            _remaining = bytes;
            _state = bytes == 0 ? State.Done : State.FixedBody;
        }
        else
        {
            KeepAlive = false;
            _state = State.UntilClose;
        }
    }

    private static long ChunkSize(string line)
    {
        int extension = line.IndexOf(';');
        string hex = (extension >= 0 ? line[..extension] : line).Trim();
        if (!long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long size)
            || size < 0)
        {
            throw new InvalidDataException($"not a chunk size: {line}");
        }
        return size;
    }
}
