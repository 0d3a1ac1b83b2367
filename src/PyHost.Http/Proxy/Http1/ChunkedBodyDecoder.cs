namespace PyHost.Http.Proxy.Http1;

/// <summary>
/// Decodes a chunked body (RFC 9112 §7.1) as it arrives, piece by piece: a pure state machine, so it is tested on every
/// split of its input. Chunk extensions and trailer fields are read and dropped (a proxy may drop trailers it does not
/// pass on, §7.1.2); their length is bounded, so a server cannot make the proxy read without end.
/// </summary>
public sealed class ChunkedBodyDecoder
{
    public const int MaxLineBytes = 4096;
    public const int MaxTrailerBytes = 16 * 1024;

    private enum State { Size, Extension, SizeLf, Data, DataCr, DataLf, TrailerLineStart, TrailerLine, TrailerLf, Done }

    private State _state = State.Size;
    private long _size;
    private int _digits;
    private int _lineBytes;
    private int _trailerBytes;

    /// <summary>What one call found.</summary>
    public enum Step
    {
        /// <summary>All of the input was taken in; more is needed.</summary>
        NeedMore,
        /// <summary>Body bytes at [start, start + length) of the input, up to <c>consumed</c>.</summary>
        Data,
        /// <summary>The body has ended after <c>consumed</c> bytes; the rest of the input is not the body's.</summary>
        End,
    }

    public bool IsDone => _state == State.Done;

    /// <summary>Reads from <paramref name="input"/> up to the next run of body bytes or the end; throws
    /// <see cref="InvalidDataException"/> for a malformed body.</summary>
    public Step Decode(ReadOnlySpan<byte> input, out int consumed, out int dataStart, out int dataLength)
    {
        dataStart = 0;
        dataLength = 0;
        int at = 0;
        while (at < input.Length)
        {
            if (_state == State.Data)
            {
                int run = (int)Math.Min(_size, input.Length - at);
                _size -= run;
                if (_size == 0)
                {
                    _state = State.DataCr;
                }
                dataStart = at;
                dataLength = run;
                consumed = at + run;
                return Step.Data;
            }
            byte b = input[at++];
            switch (_state)
            {
                case State.Size:
                    int digit = HexValue(b);
                    if (digit >= 0)
                    {
                        if (++_digits > 15)
                        {
                            throw new InvalidDataException("a chunk size of more than 15 hex digits");
                        }
                        _size = (_size << 4) | (uint)digit;
                        break;
                    }
                    if (_digits == 0)
                    {
                        throw new InvalidDataException("a chunk without a size");
                    }
                    _state = b switch
                    {
                        (byte)'\r' => State.SizeLf,
                        (byte)'\n' => EndOfSizeLine(),
                        (byte)';' or (byte)' ' or (byte)'\t' => State.Extension,
                        _ => throw new InvalidDataException("a chunk size that is not hexadecimal"),
                    };
                    break;
                case State.Extension:
                    if (b == '\n')
                    {
                        _state = EndOfSizeLine();
                    }
                    else if (b == '\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (b < 0x20 && b != '\t' || ++_lineBytes > MaxLineBytes)
                    {
                        throw new InvalidDataException("a chunk extension that is too long or has control characters");
                    }
                    break;
                case State.SizeLf:
                    _state = b == '\n' ? EndOfSizeLine() : throw new InvalidDataException("a CR without LF after a chunk size");
                    break;
                case State.DataCr:
                    _state = b switch
                    {
                        (byte)'\r' => State.DataLf,
                        (byte)'\n' => State.Size,
                        _ => throw new InvalidDataException("chunk data longer than its size"),
                    };
                    break;
                case State.DataLf:
                    _state = b == '\n' ? State.Size : throw new InvalidDataException("a CR without LF after chunk data");
                    break;
                case State.TrailerLineStart:
                    if (b == '\n')
                    {
                        _state = State.Done;
                        consumed = at;
                        return Step.End;
                    }
                    _state = b == '\r' ? State.TrailerLf : State.TrailerLine;
                    CountTrailer();
                    break;
                case State.TrailerLine:
                    CountTrailer();
                    if (b == '\n')
                    {
                        _state = State.TrailerLineStart;
                    }
                    break;
                case State.TrailerLf:
                    if (b != '\n')
                    {
                        _state = State.TrailerLine;   // a CR inside a trailer line: dropped with it
                        CountTrailer();
                        break;
                    }
                    _state = State.Done;
                    consumed = at;
                    return Step.End;
                case State.Done:
                    consumed = at - 1;
                    return Step.End;
            }
        }
        consumed = at;
        return _state == State.Done ? Step.End : Step.NeedMore;
    }

    private State EndOfSizeLine()
    {
        _digits = 0;
        _lineBytes = 0;
        if (_size == 0)
        {
            return State.TrailerLineStart;   // the last chunk; a trailer section follows, maybe empty (RFC 9112 §7.1.2)
        }
        return State.Data;
    }

    private void CountTrailer()
    {
        if (++_trailerBytes > MaxTrailerBytes)
        {
            throw new InvalidDataException($"a trailer section of more than {MaxTrailerBytes / 1024} KiB");
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
