using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PyHost.Gateways.Uwsgi;

/// <summary>Writes a uwsgi WSGI request's header and vars, as nginx's uwsgi_pass does: for tests and benchmarks
/// that play the front server.</summary>
public static class UwsgiRequestWriter
{
    /// <summary>Vars are latin-1 strings, one byte per char. Throws when a string or the whole block is over the
    /// protocol's 16-bit sizes.</summary>
    public static void Write(IBufferWriter<byte> output, IEnumerable<KeyValuePair<string, string>> vars, byte modifier2 = 0)
    {
        var block = new ArrayBufferWriter<byte>(512);
        foreach (var (name, value) in vars)
        {
            WriteString(block, name);
            WriteString(block, value);
        }
        if (block.WrittenCount > ushort.MaxValue)
        {
            throw new ArgumentException($"uwsgi vars of {block.WrittenCount} bytes do not fit the 16-bit datasize", nameof(vars));
        }
        Span<byte> header = output.GetSpan(UwsgiPacketHeader.Size);
        new UwsgiPacketHeader(UwsgiPacketHeader.WsgiRequest, (ushort)block.WrittenCount, modifier2).WriteTo(header);
        output.Advance(UwsgiPacketHeader.Size);
        output.Write(block.WrittenSpan);
    }

    private static void WriteString(ArrayBufferWriter<byte> block, string text)
    {
        if (text.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"a uwsgi string of {text.Length} bytes does not fit its 16-bit length");
        }
        Span<byte> span = block.GetSpan(2 + text.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)text.Length);
        Encoding.Latin1.GetBytes(text, span[2..]);
        block.Advance(2 + text.Length);
    }
}
