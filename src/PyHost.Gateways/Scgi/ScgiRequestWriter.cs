using System.Buffers;
using System.Globalization;
using System.Text;

namespace PyHost.Gateways.Scgi;

/// <summary>Writes an SCGI request's netstring as nginx's scgi_pass does (CONTENT_LENGTH first, then SCGI=1): for
/// tests and benchmarks that play the front server.</summary>
public static class ScgiRequestWriter
{
    /// <summary>Headers are latin-1 strings, one byte per char; they must not repeat CONTENT_LENGTH or SCGI.</summary>
    public static void Write(IBufferWriter<byte> output, long contentLength, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var block = new ArrayBufferWriter<byte>(512);
        WriteHeader(block, "CONTENT_LENGTH", contentLength.ToString(CultureInfo.InvariantCulture));
        WriteHeader(block, "SCGI", "1");
        foreach (var (name, value) in headers)
        {
            WriteHeader(block, name, value);
        }
        output.Write(Encoding.ASCII.GetBytes(block.WrittenCount.ToString(CultureInfo.InvariantCulture) + ":"));
        output.Write(block.WrittenSpan);
        output.Write(","u8);
    }

    private static void WriteHeader(ArrayBufferWriter<byte> block, string name, string value)
    {
        block.Write(Encoding.Latin1.GetBytes(name));
        block.Write("\0"u8);
        block.Write(Encoding.Latin1.GetBytes(value));
        block.Write("\0"u8);
    }
}
