using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PyHost.Protocol;

/// <summary>
/// Writes the subset of Python's <c>marshal</c> format that an environ and an ASGI scope need: dicts, str, bytes, int,
/// None, lists and tuples, so that the worker builds either with a single <c>marshal.loads</c>. Type codes are those
/// of CPython's Python/marshal.c, stable since Python 3.4; see docs/protocol.md.
/// </summary>
public static class MarshalWriter
{
    private const byte TypeDict = (byte)'{';
    private const byte TypeNull = (byte)'0';            // ends a dict
    private const byte TypeShortAsciiInterned = (byte)'Z';
    private const byte TypeAsciiInterned = (byte)'A';
    private const byte TypeShortAscii = (byte)'z';
    private const byte TypeAscii = (byte)'a';
    private const byte TypeUnicode = (byte)'u';         // UTF-8 payload
    private const byte TypeBytes = (byte)'s';
    private const byte TypeInt = (byte)'i';             // 32-bit signed
    private const byte TypeNone = (byte)'N';
    private const byte TypeTrue = (byte)'T';
    private const byte TypeFalse = (byte)'F';
    private const byte TypeList = (byte)'[';
    private const byte TypeSmallTuple = (byte)')';

    public static void WriteDictStart(IBufferWriter<byte> output) => WriteByte(output, TypeDict);

    public static void WriteDictEnd(IBufferWriter<byte> output) => WriteByte(output, TypeNull);

    /// <summary>An ASCII key, interned on the Python side so dict look-ups by literal keys are fast.</summary>
    public static void WriteKey(IBufferWriter<byte> output, ReadOnlySpan<byte> asciiKey)
    {
        if (asciiKey.Length <= byte.MaxValue)
        {
            Span<byte> span = output.GetSpan(2 + asciiKey.Length);
            span[0] = TypeShortAsciiInterned;
            span[1] = (byte)asciiKey.Length;
            asciiKey.CopyTo(span[2..]);
            output.Advance(2 + asciiKey.Length);
        }
        else
        {
            WriteWithLength(output, TypeAsciiInterned, asciiKey);
        }
    }

    /// <summary>Writes a key encoded earlier by <see cref="EncodeKey"/>.</summary>
    public static void WriteEncodedKey(IBufferWriter<byte> output, ReadOnlySpan<byte> encodedKey) => output.Write(encodedKey);

    /// <summary>Encodes a key once, for callers that cache the encoded form of their constant keys.</summary>
    public static byte[] EncodeKey(string asciiKey)
    {
        var buffer = new ArrayBufferWriter<byte>(asciiKey.Length + 5);
        WriteKey(buffer, Encoding.ASCII.GetBytes(asciiKey));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A <c>str</c>: a native string (PEP 3333, every char one code point U+0000–U+00FF, as Kestrel decodes
    /// latin-1), or any text (an ASGI <c>path</c>); UTF-8 on the wire unless it is ASCII.</summary>
    public static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<char> value)
    {
        if (Ascii.IsValid(value))
        {
            Span<byte> span = BeginAscii(output, value.Length);
            Ascii.FromUtf16(value, span, out _);
            output.Advance(value.Length);
            return;
        }
        int utf8Length = Encoding.UTF8.GetByteCount(value);
        Span<byte> unicode = BeginLength(output, TypeUnicode, utf8Length);
        Encoding.UTF8.GetBytes(value, unicode);
        output.Advance(utf8Length);
    }

    /// <summary>Raw bytes read as latin-1: byte b becomes code point U+00bb (PEP 3333 native strings).</summary>
    public static void WriteLatin1(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        if (Ascii.IsValid(value))
        {
            value.CopyTo(BeginAscii(output, value.Length));
            output.Advance(value.Length);
            return;
        }
        int utf8Length = value.Length;
        foreach (byte b in value)
        {
            if (b >= 0x80)
            {
                utf8Length++;
            }
        }
        Span<byte> span = BeginLength(output, TypeUnicode, utf8Length);
        int i = 0;
        foreach (byte b in value)
        {
            if (b < 0x80)
            {
                span[i++] = b;
            }
            else
            {
                // U+0080..U+00FF in UTF-8 is two bytes: 110000xx 10xxxxxx.
                span[i++] = (byte)(0xC0 | (b >> 6));
                span[i++] = (byte)(0x80 | (b & 0x3F));
            }
        }
        output.Advance(utf8Length);
    }

    /// <summary>A Python <c>bytes</c>.</summary>
    public static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> value) => WriteWithLength(output, TypeBytes, value);

    /// <summary>A Python <c>bytes</c> of a latin-1 string: each char is one byte (a header value as Kestrel decoded it).</summary>
    public static void WriteLatin1Bytes(IBufferWriter<byte> output, ReadOnlySpan<char> value)
    {
        Span<byte> span = BeginLength(output, TypeBytes, value.Length);
        Encoding.Latin1.GetBytes(value, span);
        output.Advance(value.Length);
    }

    /// <summary>A Python <c>bytes</c> of a header name, lower-cased as ASGI asks (names are ASCII tokens).</summary>
    public static void WriteLowerCaseBytes(IBufferWriter<byte> output, ReadOnlySpan<char> name)
    {
        Span<byte> span = BeginLength(output, TypeBytes, name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            span[i] = (byte)(c is >= 'A' and <= 'Z' ? c | 0x20 : c);
        }
        output.Advance(name.Length);
    }

    public static void WriteInt(IBufferWriter<byte> output, int value)
    {
        Span<byte> span = output.GetSpan(5);
        span[0] = TypeInt;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], value);
        output.Advance(5);
    }

    public static void WriteNone(IBufferWriter<byte> output) => WriteByte(output, TypeNone);

    public static void WriteBool(IBufferWriter<byte> output, bool value) => WriteByte(output, value ? TypeTrue : TypeFalse);

    /// <summary>A list of <paramref name="count"/> items, which follow.</summary>
    public static void WriteListStart(IBufferWriter<byte> output, int count)
    {
        Span<byte> span = output.GetSpan(5);
        span[0] = TypeList;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], count);
        output.Advance(5);
    }

    /// <summary>A tuple of <paramref name="count"/> (at most 255) items, which follow.</summary>
    public static void WriteTupleStart(IBufferWriter<byte> output, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, byte.MaxValue);
        Span<byte> span = output.GetSpan(2);
        span[0] = TypeSmallTuple;
        span[1] = (byte)count;
        output.Advance(2);
    }

    private static Span<byte> BeginAscii(IBufferWriter<byte> output, int length)
    {
        if (length <= byte.MaxValue)
        {
            Span<byte> span = output.GetSpan(2 + length);
            span[0] = TypeShortAscii;
            span[1] = (byte)length;
            output.Advance(2);
            return output.GetSpan(length);
        }
        return BeginLength(output, TypeAscii, length);
    }

    private static Span<byte> BeginLength(IBufferWriter<byte> output, byte type, int length)
    {
        Span<byte> span = output.GetSpan(5 + length);
        span[0] = type;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], length);
        output.Advance(5);
        return output.GetSpan(length);
    }

    private static void WriteWithLength(IBufferWriter<byte> output, byte type, ReadOnlySpan<byte> value)
    {
        value.CopyTo(BeginLength(output, type, value.Length));
        output.Advance(value.Length);
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
