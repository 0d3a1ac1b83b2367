using System.Text;

namespace PyHost.Protocol;

/// <summary>Character classes of RFC 9110 that the codecs check.</summary>
public static class HttpTokens
{
    // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    //                        / DIGIT / ALPHA
    private static readonly bool[] TokenChars = BuildTokenChars();

    // RFC 9110 §7.6.1 and PEP 3333 ("Other HTTP Features"): the app must not send these; the server owns them.
    private static readonly string[] HopByHop =
    [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
        "trailer", "trailers", "transfer-encoding", "upgrade",
    ];

    public static bool IsToken(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }
        foreach (byte b in value)
        {
            if (b >= 128 || !TokenChars[b])
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsHopByHop(ReadOnlySpan<byte> name)
    {
        foreach (string hop in HopByHop)
        {
            if (hop.Length == name.Length && Ascii.EqualsIgnoreCase(name, hop))
            {
                return true;
            }
        }
        return false;
    }

    private static bool[] BuildTokenChars()
    {
        var table = new bool[128];
        for (int c = '0'; c <= '9'; c++) table[c] = true;
        for (int c = 'a'; c <= 'z'; c++) table[c] = true;
        for (int c = 'A'; c <= 'Z'; c++) table[c] = true;
        foreach (char c in "!#$%&'*+-.^_`|~") table[c] = true;
        return table;
    }
}
