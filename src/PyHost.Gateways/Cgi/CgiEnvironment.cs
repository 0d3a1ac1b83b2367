using System.Text;

namespace PyHost.Gateways.Cgi;

/// <summary>
/// Meta-variable values travel in PyHost as latin-1 native strings (each char one byte of the request), but .NET
/// hands a child its environment encoded as UTF-8. So the bytes are decoded as UTF-8 first, which gives the script
/// exactly the request's bytes whenever they are valid UTF-8 (every browser's path). Bytes that are not valid UTF-8
/// cannot cross Process.Start intact and arrive as U+FFFD.
/// </summary>
internal static class CgiEnvironment
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

    public static string ToProcessString(string latin1Value)
    {
        if (Ascii.IsValid(latin1Value))
        {
            return latin1Value;
        }
        byte[] bytes = Encoding.Latin1.GetBytes(latin1Value);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.UTF8.GetString(bytes);
        }
    }
}
