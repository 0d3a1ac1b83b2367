using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PyHost.Protocol;

/// <summary>
/// Writes the subset of Python's <c>marshal</c> format that an environ needs: one dict of str to str, so that the
/// worker builds it with a single <c>marshal.loads</c>. Type codes are those of CPython's Python/marshal.c, stable
/// since Python 3.4; see docs/protocol.md.
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

    /// <summary>A native string (PEP 3333): every char is one code point U+0000–U+00FF, as Kestrel decodes latin-1.</summary>
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
