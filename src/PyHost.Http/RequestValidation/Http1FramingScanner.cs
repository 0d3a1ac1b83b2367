namespace PyHost.Http.RequestValidation;

/// <summary>
/// Follows the raw bytes of one HTTP/1.1 connection, message by message, for what Kestrel 10 accepts but RFC 9112
/// does not: a Content-Length that is not 1*DIGIT (Kestrel reads "+5" and "5\0" as 5), Content-Length together with
/// Transfer-Encoding, chunk extensions outside the chunk-ext grammar (Kestrel skips them unread: NUL and control
/// bytes pass), and trailer field names that are not tokens. Pure: bytes in, a verdict out, no I/O; the connection
/// middleware feeds it what it hands Kestrel.
/// It frames messages as Kestrel does (Transfer-Encoding means chunked, else Content-Length, else no body; bare LF
/// ends head lines; empty lines before a request are skipped), so both agree on where each message ends. A
/// connection that starts with the HTTP/2 preface is left alone.
/// </summary>
public sealed partial class Http1FramingScanner
{
    /// <summary>A chunk-size line longer than this (with its extensions) is refused; nobody needs more.</summary>
    public const int MaxChunkLineBytes = 4096;

    private static ReadOnlySpan<byte> ContentLength => "content-length"u8;
    private static ReadOnlySpan<byte> TransferEncoding => "transfer-encoding"u8;
    private static ReadOnlySpan<byte> Http2Preface => "PRI * HTTP/2.0\r\n"u8;

    private State _state = State.RequestLineStart;
    private bool _firstRequest = true;
    private int _matched;              // bytes of the preface or field name matched so far
    private bool _mayBeContentLength;
    private bool _mayBeTransferEncoding;
    private bool _sawContentLength;
    private bool _sawTransferEncoding;
    private long _contentLength;
    private long _remaining;           // body or chunk-data bytes still to skip
    private long _chunkSize;
    private int _chunkSizeDigits;
    private int _lineBytes;

    private enum State
    {
        RequestLineStart, PrefaceMatch, SkipRequestLine,
        FieldLineStart, FieldName, SkipFieldLine, HeadEndLf,
        ContentLengthBeforeValue, ContentLengthDigits, ContentLengthAfterValue, ContentLengthLf,
        FixedBody,
        ChunkSizeStart, ChunkSize, ChunkExtBeforeSemicolon, ChunkExtBeforeName, ChunkExtName, ChunkExtAfterName,
        ChunkExtBeforeValue, ChunkExtTokenValue, ChunkExtQuotedValue, ChunkExtQuotedPair, ChunkExtAfterQuoted, ChunkLineLf,
        ChunkData, ChunkDataCr, ChunkDataLf,
        TrailerLineStart, TrailerName, SkipTrailerLine, TrailerEndLf,
        PassThrough, Violated,
    }

    /// <summary>Why the stream broke RFC 9112, once it has; the first violation only.</summary>
    public string? Violation { get; private set; }

    /// <summary>The stream offset of the byte that broke it: everything before it may go on to Kestrel.</summary>
    public long ViolationOffset { get; private set; } = -1;

    /// <summary>Bytes scanned so far.</summary>
    public long Offset { get; private set; }

    /// <summary>Complete messages (head and body) seen so far.</summary>
    public int MessagesCompleted { get; private set; }

    /// <summary>True once the connection turned out to be HTTP/2: nothing more is checked.</summary>
    public bool IsPassThrough => _state == State.PassThrough;

    /// <summary>Scans the next bytes of the stream. False once the stream broke the rules (see <see cref="Violation"/>).</summary>
    public bool Scan(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            switch (_state)
            {
                case State.PassThrough:
                    Offset += bytes.Length - i;
                    return true;
                case State.Violated:
                    return false;
                case State.SkipRequestLine:
                case State.SkipFieldLine:
                case State.SkipTrailerLine:
                {
                    int newline = bytes[i..].IndexOf((byte)'\n');
                    if (newline < 0)
                    {
                        Offset += bytes.Length - i;
                        return true;
                    }
                    Advance(ref i, newline + 1);
                    _state = _state == State.SkipTrailerLine ? State.TrailerLineStart : State.FieldLineStart;
                    continue;
                }
                case State.FixedBody:
                case State.ChunkData:
                {
                    int skipped = (int)Math.Min(_remaining, bytes.Length - i);
                    Advance(ref i, skipped);
                    _remaining -= skipped;
                    if (_remaining == 0)
                    {
                        if (_state == State.FixedBody)
                        {
                            EndMessage();
                        }
                        else
                        {
                            _state = State.ChunkDataCr;
                        }
                    }
                    continue;
                }
            }
            if (!Step(bytes[i]))
            {
                return false;
            }
            i++;
            Offset++;
        }
        return _state != State.Violated;
    }

    private void Advance(ref int i, int count)
    {
        i += count;
        Offset += count;
    }

    /// <summary>One byte of a line the scanner reads byte by byte; false on a violation.</summary>
    private bool Step(byte b)
    {
        switch (_state)
        {
            case State.RequestLineStart:
                if (b is (byte)'\r' or (byte)'\n')
                {
                    return true;   // RFC 9112 §2.2: empty lines before a request line are ignored
                }
                if (_firstRequest && b == Http2Preface[0])
                {
                    _matched = 1;
                    _state = State.PrefaceMatch;
                    return true;
                }
                _state = State.SkipRequestLine;
                return true;

            case State.PrefaceMatch:
                if (b != Http2Preface[_matched])
                {
                    _state = b == '\n' ? State.FieldLineStart : State.SkipRequestLine;
                    return true;
                }
                if (++_matched == Http2Preface.Length)
                {
                    _state = State.PassThrough;
                }
                return true;

            case State.FieldLineStart:
                if (b == '\r')
                {
                    _state = State.HeadEndLf;
                    return true;
                }
                if (b == '\n')
                {
                    return EndHead();
                }
                byte lower = Lower(b);
                _mayBeContentLength = lower == ContentLength[0];
                _mayBeTransferEncoding = lower == TransferEncoding[0];
                _matched = 1;
                _state = _mayBeContentLength || _mayBeTransferEncoding ? State.FieldName : State.SkipFieldLine;
                return true;

            case State.FieldName:
                return StepFieldName(b);

            case State.HeadEndLf:
                if (b != '\n')
                {
                    _state = State.SkipFieldLine;   // Kestrel refuses a lone CR itself
                    return true;
                }
                return EndHead();

            case State.ContentLengthBeforeValue:
                if (b is (byte)' ' or (byte)'\t')
                {
                    return true;
                }
                if (IsDigit(b))
                {
                    _contentLength = b - '0';
                    _state = State.ContentLengthDigits;
                    return true;
                }
                return Fail("The Content-Length is not a decimal number (RFC 9112 §6.3: 1*DIGIT).");

            case State.ContentLengthDigits:
                if (IsDigit(b))
                {
                    if (_contentLength > (long.MaxValue - 9) / 10)
                    {
                        return Fail("The Content-Length is too large.");
                    }
                    _contentLength = _contentLength * 10 + (b - '0');
                    return true;
                }
                _state = State.ContentLengthAfterValue;
                return Step(b);

            case State.ContentLengthAfterValue:
                if (b is (byte)' ' or (byte)'\t')
                {
                    return true;
                }
                if (b == '\r')
                {
                    _state = State.ContentLengthLf;
                    return true;
                }
                if (b == '\n')
                {
                    _state = State.FieldLineStart;
                    return true;
                }
                return Fail("The Content-Length is not a decimal number (RFC 9112 §6.3: 1*DIGIT).");

            case State.ContentLengthLf:
                if (b != '\n')
                {
                    return Fail("The Content-Length is not a decimal number (RFC 9112 §6.3: 1*DIGIT).");
                }
                _state = State.FieldLineStart;
                return true;

            default:
                return StepChunked(b);
        }
    }

    private bool StepFieldName(byte b)
    {
        if (b == ':')
        {
            if (_mayBeContentLength && _matched == ContentLength.Length)
            {
                if (_sawContentLength)
                {
                    return Fail("The request has more than one Content-Length field (RFC 9112 §6.3).");
                }
                _sawContentLength = true;
                _state = State.ContentLengthBeforeValue;
                return true;
            }
            if (_mayBeTransferEncoding && _matched == TransferEncoding.Length)
            {
                _sawTransferEncoding = true;
            }
            _state = State.SkipFieldLine;
            return true;
        }
        if (b == '\n')
        {
            _state = State.FieldLineStart;   // not a field line; Kestrel refuses it
            return true;
        }
        byte lower = Lower(b);
        _mayBeContentLength &= _matched < ContentLength.Length && lower == ContentLength[_matched];
        _mayBeTransferEncoding &= _matched < TransferEncoding.Length && lower == TransferEncoding[_matched];
        _matched++;
        if (!_mayBeContentLength && !_mayBeTransferEncoding)
        {
            _state = State.SkipFieldLine;
        }
        return true;
    }

    /// <summary>The empty line after the header section: the body is framed as RFC 9112 §6.3 and Kestrel frame it.</summary>
    private bool EndHead()
    {
        if (_sawTransferEncoding && _sawContentLength)
        {
            return Fail("The request has both Content-Length and Transfer-Encoding (RFC 9112 §6.1).");
        }
        if (_sawTransferEncoding)
        {
            _state = State.ChunkSizeStart;
        }
        else if (_sawContentLength && _contentLength > 0)
        {
            _remaining = _contentLength;
            _state = State.FixedBody;
        }
        else
        {
            EndMessage();
        }
        return true;
    }

    private void EndMessage()
    {
        MessagesCompleted++;
        _firstRequest = false;
        _sawContentLength = _sawTransferEncoding = false;
        _contentLength = 0;
        _state = State.RequestLineStart;
    }

    private bool Fail(string reason)
    {
        Violation = reason;
        ViolationOffset = Offset;
        _state = State.Violated;
        return false;
    }

    private static string Describe(byte b) => b is >= 0x21 and < 0x7F ? $"'{(char)b}'" : $"the byte 0x{b:X2}";

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t';

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private static int? HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => null,
    };

    // RFC 9110 §5.6.2: tchar.
    private static bool IsTokenChar(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
            or (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
            or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
}
