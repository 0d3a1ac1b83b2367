using System.Text;

namespace PyHost.Gateways;

/// <summary>Percent-decoding of a request path to bytes (as the HTTP front does for PATH_INFO) and its inverse.</summary>
internal static class PercentEncoding
{
    /// <summary>Decodes %XX escapes; a '%' not followed by two hex digits stays as it is (as gunicorn does).
    /// <paramref name="destination"/> needs at most <c>raw.Length</c> bytes.</summary>
    public static int Decode(ReadOnlySpan<byte> raw, Span<byte> destination)
    {
        int written = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if (b == (byte)'%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
            {
                destination[written++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else
            {
                destination[written++] = b;
            }
        }
        return written;
    }

    /// <summary>A latin-1 path as a request target: bytes outside RFC 3986's pchar and '/' become %XX.</summary>
    public static string QuotePath(string latin1Path)
    {
        var builder = new StringBuilder(latin1Path.Length + 8);
        foreach (char c in latin1Path)
        {
            if (char.IsAsciiLetterOrDigit(c) || "/-._~!$&'()*+,;=:@".Contains(c))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(((int)(c & 0xFF)).ToString("X2"));
            }
        }
        return builder.ToString();
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
