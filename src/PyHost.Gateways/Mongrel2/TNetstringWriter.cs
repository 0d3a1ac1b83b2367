using System.Buffers;
using System.Globalization;
using System.Text;

namespace PyHost.Gateways.Mongrel2;

/// <summary>Writes tnetstrings: the size in decimal, ':', the data, the type character.</summary>
public static class TNetstringWriter
{
    public static void Write(IBufferWriter<byte> output, TNetstring value)
    {
        switch (value.Type)
        {
            case TNetstringType.String:
                WriteFramed(output, value.Bytes.Span, TNetstringType.String);
                break;
            case TNetstringType.Integer:
                WriteFramed(output, Encoding.ASCII.GetBytes(value.Integer.ToString(CultureInfo.InvariantCulture)), TNetstringType.Integer);
                break;
            case TNetstringType.Boolean:
                WriteFramed(output, value.Boolean ? "true"u8 : "false"u8, TNetstringType.Boolean);
                break;
            case TNetstringType.Null:
                WriteFramed(output, [], TNetstringType.Null);
                break;
            case TNetstringType.List:
            {
                var content = new ArrayBufferWriter<byte>(256);
                foreach (TNetstring item in value.Items)
                {
                    Write(content, item);
                }
                WriteFramed(output, content.WrittenSpan, TNetstringType.List);
                break;
            }
            default:
            {
                var content = new ArrayBufferWriter<byte>(256);
                foreach (var (key, item) in value.Entries)
                {
                    WriteFramed(content, Encoding.Latin1.GetBytes(key), TNetstringType.String);
                    Write(content, item);
                }
                WriteFramed(output, content.WrittenSpan, TNetstringType.Dictionary);
                break;
            }
        }
    }

    public static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
        => WriteFramed(output, bytes, TNetstringType.String);

    private static void WriteFramed(IBufferWriter<byte> output, ReadOnlySpan<byte> data, TNetstringType type)
    {
        output.Write(Encoding.ASCII.GetBytes(data.Length.ToString(CultureInfo.InvariantCulture) + ":"));
        output.Write(data);
        output.GetSpan(1)[0] = (byte)type;
        output.Advance(1);
    }
}
