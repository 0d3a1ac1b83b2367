namespace PyHost.Http.RequestValidation;

/// <summary>The chunked body: chunk-size lines with their extensions, chunk data skipped by count, the trailer section.</summary>
public sealed partial class Http1FramingScanner
{
    /// <summary>
    /// RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*"0" [ chunk-ext ] CRLF;
    /// then trailer-section CRLF. §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ),
    /// chunk-ext-name = token, chunk-ext-val = token / quoted-string.
    /// </summary>
    private bool StepChunked(byte b)
    {
        if (_state is >= State.ChunkSize and <= State.ChunkLineLf && ++_lineBytes > MaxChunkLineBytes)
        {
            return Fail($"A chunk-size line is longer than {MaxChunkLineBytes} bytes.");
        }
        switch (_state)
        {
            case State.ChunkSizeStart:
                if (HexValue(b) is not { } first)
                {
                    return Fail("A chunk size is not a hexadecimal number (RFC 9112 §7.1).");
                }
                _chunkSize = first;
                _chunkSizeDigits = 1;
                _lineBytes = 1;
                _state = State.ChunkSize;
                return true;

            case State.ChunkSize:
                if (HexValue(b) is { } digit)
                {
                    if (++_chunkSizeDigits > 15 && _chunkSize > 0)
                    {
                        return Fail("A chunk size is too large.");
                    }
                    _chunkSize = _chunkSize * 16 + digit;
                    return true;
                }
                return AfterChunkToken(b, State.ChunkExtBeforeSemicolon);

            case State.ChunkExtBeforeSemicolon:
                if (IsWhitespace(b))
                {
                    return true;
                }
                if (b == ';')
                {
                    _state = State.ChunkExtBeforeName;
                    return true;
                }
                return FailExtension(b);

            case State.ChunkExtBeforeName:
                if (IsWhitespace(b))
                {
                    return true;
                }
                if (IsTokenChar(b))
                {
                    _state = State.ChunkExtName;
                    return true;
                }
                return FailExtension(b);

            case State.ChunkExtName:
                if (IsTokenChar(b))
                {
                    return true;
                }
                if (IsWhitespace(b))
                {
                    _state = State.ChunkExtAfterName;
                    return true;
                }
                if (b == '=')
                {
                    _state = State.ChunkExtBeforeValue;
                    return true;
                }
                return AfterChunkToken(b, State.ChunkExtAfterName);

            case State.ChunkExtAfterName:
                if (IsWhitespace(b))
                {
                    return true;
                }
                if (b == '=')
                {
                    _state = State.ChunkExtBeforeValue;
                    return true;
                }
                if (b == ';')
                {
                    _state = State.ChunkExtBeforeName;
                    return true;
                }
                return FailExtension(b);

            case State.ChunkExtBeforeValue:
                if (IsWhitespace(b))
                {
                    return true;
                }
                if (IsTokenChar(b))
                {
                    _state = State.ChunkExtTokenValue;
                    return true;
                }
                if (b == '"')
                {
                    _state = State.ChunkExtQuotedValue;
                    return true;
                }
                return FailExtension(b);

            case State.ChunkExtTokenValue:
                return IsTokenChar(b) || AfterChunkToken(b, State.ChunkExtBeforeSemicolon);

            case State.ChunkExtQuotedValue:
                // RFC 9110 §5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
                if (b == '"')
                {
                    _state = State.ChunkExtAfterQuoted;
                    return true;
                }
                if (b == '\\')
                {
                    _state = State.ChunkExtQuotedPair;
                    return true;
                }
                return b is (byte)'\t' or (byte)' ' or >= 0x21 and not 0x7F || FailExtension(b);

            case State.ChunkExtQuotedPair:
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                if (b is (byte)'\t' or (byte)' ' or >= 0x21 and not 0x7F)
                {
                    _state = State.ChunkExtQuotedValue;
                    return true;
                }
                return FailExtension(b);

            case State.ChunkExtAfterQuoted:
                return AfterChunkToken(b, State.ChunkExtBeforeSemicolon);

            case State.ChunkLineLf:
                if (b != '\n')
                {
                    return Fail("A chunk-size line does not end with CRLF (RFC 9112 §7.1).");
                }
                if (_chunkSize > 0)
                {
                    _remaining = _chunkSize;
                    _state = State.ChunkData;
                }
                else
                {
                    _state = State.TrailerLineStart;
                }
                return true;

            case State.ChunkDataCr:
                if (b != '\r')
                {
                    return Fail("Chunk data is not followed by CRLF (RFC 9112 §7.1).");
                }
                _state = State.ChunkDataLf;
                return true;

            case State.ChunkDataLf:
                if (b != '\n')
                {
                    return Fail("Chunk data is not followed by CRLF (RFC 9112 §7.1).");
                }
                _state = State.ChunkSizeStart;
                return true;

            case State.TrailerLineStart:
                if (b == '\r')
                {
                    _state = State.TrailerEndLf;
                    return true;
                }
                if (b == '\n')
                {
                    EndMessage();   // Kestrel takes a bare LF for the end of the trailer section
                    return true;
                }
                if (IsTokenChar(b))
                {
                    _state = State.TrailerName;
                    return true;
                }
                return Fail($"A trailer field name starts with {Describe(b)}, which is not a token character (RFC 9110 §5.1).");

            case State.TrailerName:
                if (IsTokenChar(b))
                {
                    return true;
                }
                if (b == ':')
                {
                    _state = State.SkipTrailerLine;
                    return true;
                }
                return Fail($"A trailer field name contains {Describe(b)}, which is not a token character (RFC 9110 §5.1).");

            case State.TrailerEndLf:
                if (b != '\n')
                {
                    return Fail("The chunked body does not end with CRLF (RFC 9112 §7.1).");
                }
                EndMessage();
                return true;

            default:
                throw new InvalidOperationException($"unexpected scanner state {_state}");
        }
    }

    /// <summary>After a chunk size, an extension name or a token value: more extensions, or the end of the line.</summary>
    private bool AfterChunkToken(byte b, State onWhitespace)
    {
        if (b == ';')
        {
            _state = State.ChunkExtBeforeName;
            return true;
        }
        if (b == '\r')
        {
            _state = State.ChunkLineLf;
            return true;
        }
        if (IsWhitespace(b))
        {
            _state = onWhitespace;
            return true;
        }
        return _state == State.ChunkSize
            ? Fail("A chunk size is not a hexadecimal number (RFC 9112 §7.1).")
            : FailExtension(b);
    }

    private bool FailExtension(byte b) =>
        Fail($"A chunk extension contains {Describe(b)} where RFC 9112 §7.1.1 allows none (chunk-ext grammar).");
}
