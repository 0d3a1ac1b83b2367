using System.Buffers;
using System.Text;

namespace PyHost.Protocol;

/// <summary>
/// Parses and validates a RESPONSE_START payload: <c>status \0 name \0 value \0 ...</c> in latin-1. The front does not
/// trust the app: whatever is not a valid HTTP field is refused here, so no listener can forward it.
/// </summary>
public static class ResponseHeadParser
{
    // Names the front sees on most responses: reusing one string each saves an allocation per header.
    private static readonly string[] CommonNames =
    [
        "Content-Type", "Content-Length", "Set-Cookie", "Location", "Cache-Control", "ETag", "Last-Modified",
        "Expires", "Vary", "Content-Encoding", "Content-Disposition", "Content-Language", "Content-Range",
        "Accept-Ranges", "Date", "Server", "Pragma", "Allow", "Retry-After", "Link", "WWW-Authenticate",
        "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Strict-Transport-Security",
        "Access-Control-Allow-Origin", "Cross-Origin-Opener-Policy",
    ];

    public static bool TryParse(ReadOnlySequence<byte> payload, ResponseHead head, out string? error)
    {
        if (payload.IsSingleSegment)
        {
            return TryParse(payload.FirstSpan, head, out error);
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
        try
        {
            payload.CopyTo(rented);
            return TryParse(rented.AsSpan(0, (int)payload.Length), head, out error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, ResponseHead head, out string? error)
    {
        head.Reset();
        int end = payload.IndexOf((byte)0);
        ReadOnlySpan<byte> status = end < 0 ? payload : payload[..end];
        if (!TryParseStatus(status, head, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = end < 0 ? [] : payload[(end + 1)..];
        while (end >= 0)
        {
            int nameEnd = rest.IndexOf((byte)0);
            if (nameEnd < 0)
            {
                error = "a header name has no value";
                return false;
            }
            ReadOnlySpan<byte> name = rest[..nameEnd];
            rest = rest[(nameEnd + 1)..];
            end = rest.IndexOf((byte)0);
            ReadOnlySpan<byte> value = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];

            if (!TryAddHeader(name, value, head, out error))
            {
                return false;
            }
        }
        error = null;
        return true;
    }

    private static bool TryParseStatus(ReadOnlySpan<byte> status, ResponseHead head, out string? error)
    {
        // PEP 3333: "a status code and a reason phrase, separated by a single space, in that order".
        if (status.Length < 3 || !IsDigit(status[0]) || !IsDigit(status[1]) || !IsDigit(status[2])
            || (status.Length > 3 && status[3] != (byte)' '))
        {
            error = $"invalid status line '{Describe(status)}': expected e.g. '200 OK'";
            return false;
        }
        int code = (status[0] - '0') * 100 + (status[1] - '0') * 10 + (status[2] - '0');
        if (code < 200)
        {
            error = $"status {code} cannot be a final response (RFC 9110 §15.2)";
            return false;
        }
        ReadOnlySpan<byte> reason = status.Length > 4 ? status[4..] : [];
        if (ContainsControl(reason))
        {
            error = "the status line contains a control character";
            return false;
        }
        head.StatusCode = code;
        string standard = ReasonPhrases.For(code);
        head.ReasonPhrase = reason.Length == 0 || Ascii.Equals(reason, standard) ? null : Encoding.Latin1.GetString(reason);
        error = null;
        return true;
    }

    private static bool TryAddHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ResponseHead head, out string? error)
    {
        if (!HttpTokens.IsToken(name))
        {
            error = $"invalid header name '{Describe(name)}' (RFC 9110 §5.1: a field name is a token)";
            return false;
        }
        if (ContainsControl(value))
        {
            error = $"header '{Describe(name)}' has a control character (CR, LF or NUL) in its value (RFC 9110 §5.5)";
            return false;
        }
        if (HttpTokens.IsHopByHop(name))
        {
            error = $"hop-by-hop header '{Describe(name)}' is the server's to send (PEP 3333, RFC 9110 §7.6.1)";
            return false;
        }

        string nameString = CommonName(name) ?? Encoding.Latin1.GetString(name);
        // CommonName gives the canonical spelling, so one ordinal compare covers every casing.
        if (string.Equals(nameString, "Content-Length", StringComparison.Ordinal))
        {
            if (!long.TryParse(value, System.Globalization.NumberStyles.None, null, out long length)
                || (head.ContentLength is { } previous && previous != length))
            {
                error = $"invalid Content-Length '{Describe(value)}'";
                return false;
            }
            head.ContentLength = length;
        }
        head.Headers.Add(new(nameString, Encoding.Latin1.GetString(value)));
        error = null;
        return true;
    }

    private static string? CommonName(ReadOnlySpan<byte> name)
    {
        foreach (string common in CommonNames)
        {
            if (common.Length == name.Length && Ascii.EqualsIgnoreCase(name, common))
            {
                return common;
            }
        }
        return null;
    }

    /// <summary>Field values allow HTAB and obs-text, but no other control character (RFC 9110 §5.5).</summary>
    private static bool ContainsControl(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, 80)]);
        return text.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0");
    }
}
