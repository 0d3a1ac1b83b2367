using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// Turns the raw request path below a mount into a relative file path, or refuses it. Pure text: what is on disk
/// (symbolic links) is checked by <see cref="StaticFileRoute"/> after this.
/// <para>
/// Refused, whatever they would resolve to: dot segments (<c>..</c>, <c>.</c>, and their escaped forms such as
/// <c>%2e%2e</c>), escaped slashes (<c>%2F</c>: one segment that names two), backslashes raw or escaped (a path
/// separator elsewhere), NUL and other control characters, malformed escapes, and bytes that are not UTF-8.
/// Clients remove dot segments before sending (RFC 3986 §5.2.4), so a request that still has one is not a
/// browser's.
/// </para>
/// </summary>
public static class StaticPathResolver
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// <paramref name="rawPath"/> is the percent-encoded path below the mount prefix ("" or "/..."). On success,
    /// <paramref name="relativePath"/> has its segments joined by '/', no leading slash, empty ones dropped
    /// ("" names the mount's directory itself).
    /// </summary>
    public static bool TryResolve(string rawPath, [NotNullWhen(true)] out string? relativePath, [NotNullWhen(false)] out string? refusal)
    {
        relativePath = null;
        if (!TryDecode(rawPath, out string? decoded, out refusal))
        {
            return false;
        }
        foreach (char c in decoded)
        {
            if (char.IsControl(c))
            {
                refusal = c == '\0' ? "the path contains a NUL character" : "the path contains a control character";
                return false;
            }
        }
        string[] segments = decoded.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(segment => segment is "." or ".."))
        {
            refusal = "the path contains a '.' or '..' segment";
            return false;
        }
        relativePath = string.Join('/', segments);
        return true;
    }

    private static bool TryDecode(string rawPath, [NotNullWhen(true)] out string? decoded, [NotNullWhen(false)] out string? refusal)
    {
        decoded = null;
        var bytes = new List<byte>(rawPath.Length);
        for (int i = 0; i < rawPath.Length; i++)
        {
            char c = rawPath[i];
            if (c == '\\')
            {
                refusal = "the path contains a backslash";
                return false;
            }
            if (c == '%')
            {
                if (i + 2 >= rawPath.Length || !char.IsAsciiHexDigit(rawPath[i + 1]) || !char.IsAsciiHexDigit(rawPath[i + 2]))
                {
                    refusal = "the path has a '%' that is not followed by two hex digits";
                    return false;
                }
                byte value = Convert.FromHexString(rawPath.AsSpan(i + 1, 2))[0];
                if (value == '/')
                {
                    refusal = "the path contains an escaped slash (%2F)";
                    return false;
                }
                if (value == '\\')
                {
                    refusal = "the path contains an escaped backslash (%5C)";
                    return false;
                }
                bytes.Add(value);
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                // A raw non-ASCII byte reached us decoded as UTF-8 (or as latin-1): take its UTF-8 bytes back.
                int length = char.IsHighSurrogate(c) && i + 1 < rawPath.Length ? 2 : 1;
                bytes.AddRange(Encoding.UTF8.GetBytes(rawPath.Substring(i, length)));
                i += length - 1;
            }
        }
        try
        {
            decoded = StrictUtf8.GetString(bytes.ToArray());
            refusal = null;
            return true;
        }
        catch (DecoderFallbackException)
        {
            refusal = "the path is not UTF-8";
            return false;
        }
    }
}
