using System.Buffers.Binary;

namespace PyHost.AdminTests.Infrastructure;

/// <summary>One field of a protobuf message: its number, and its value as a varint, 64/32-bit word or bytes.</summary>
public readonly record struct ProtobufField(int Number, int WireType, ulong Scalar, ReadOnlyMemory<byte> Bytes)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Bytes.Span);
}

/// <summary>
/// Just enough of the protobuf wire format (varints, fixed 32/64, length-delimited) to read what the OTLP exporter
/// sends, field by field, without generated code: the test checks the bytes on the wire against the OTLP .proto
/// field numbers it cites.
/// </summary>
public static class Protobuf
{
    public static IEnumerable<ProtobufField> Fields(ReadOnlyMemory<byte> message)
    {
        int position = 0;
        while (position < message.Length)
        {
            ulong key = ReadVarint(message.Span, ref position);
            int number = (int)(key >> 3);
            int wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    yield return new ProtobufField(number, 0, ReadVarint(message.Span, ref position), default);
                    break;
                case 1:
                    yield return new ProtobufField(number, 1, BinaryPrimitives.ReadUInt64LittleEndian(message.Span[position..]), default);
                    position += 8;
                    break;
                case 2:
                    int length = (int)ReadVarint(message.Span, ref position);
                    yield return new ProtobufField(number, 2, 0, message.Slice(position, length));
                    position += length;
                    break;
                case 5:
                    yield return new ProtobufField(number, 5, BinaryPrimitives.ReadUInt32LittleEndian(message.Span[position..]), default);
                    position += 4;
                    break;
                default:
                    throw new FormatException($"wire type {wireType} at byte {position}");
            }
        }
    }

    /// <summary>The sub-messages at a path of field numbers, e.g. 1, 2, 2 for every span of an OTLP trace request.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> At(ReadOnlyMemory<byte> message, params int[] path)
    {
        IEnumerable<ReadOnlyMemory<byte>> level = [message];
        foreach (int number in path)
        {
            level = level.SelectMany(m => Fields(m).Where(f => f.Number == number && f.WireType == 2).Select(f => f.Bytes)).ToList();
        }
        return level;
    }

    /// <summary>OTLP KeyValue attributes (key = 1, AnyValue = 2 with string 1, bool 2, int 3, double 4) as text.</summary>
    public static Dictionary<string, string> Attributes(ReadOnlyMemory<byte> message, int field)
    {
        var attributes = new Dictionary<string, string>();
        foreach (ReadOnlyMemory<byte> pair in At(message, field))
        {
            List<ProtobufField> fields = Fields(pair).ToList();
            string key = fields.First(f => f.Number == 1).Text;
            ProtobufField value = Fields(fields.First(f => f.Number == 2).Bytes).First();
            attributes[key] = value.Number switch
            {
                1 => value.Text,
                2 => (value.Scalar != 0).ToString(),
                3 => ((long)value.Scalar).ToString(System.Globalization.CultureInfo.InvariantCulture),
                4 => BitConverter.Int64BitsToDouble((long)value.Scalar).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => $"(field {value.Number})",
            };
        }
        return attributes;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = bytes[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
