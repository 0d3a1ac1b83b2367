using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace PyHost.Http.RequestValidation;

/// <summary>Why a request is refused before any worker sees it: the status and one sentence for the page.</summary>
public readonly record struct RequestRejection(int StatusCode, string Reason);

/// <summary>
/// The parts of RFC 9112 and RFC 9113 that Kestrel 10 lets through, checked on the parsed request before dispatch.
/// What Kestrel no longer shows in parsed form (the Content-Length as written, chunk extensions) is checked on the
/// raw bytes by <see cref="Http1FramingGuard"/>.
/// </summary>
public static class RequestRules
{
    // RFC 9110 §5.6.2: tchar.
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    // RFC 9112 §3.2 and RFC 3986 §3: no request-target holds a control character, a space, DEL, or a fragment
    // (RFC 9110 §7.1: "fragment ... is not sent"; a '#' in a target is a client that gets URLs wrong, or a probe).
    private static readonly SearchValues<char> NotInTarget = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f \u007f#");

    // RFC 9113 §8.2.2: connection-specific fields make an HTTP/2 request malformed. Kestrel refuses Connection
    // and a TE other than "trailers" itself.
    private static readonly string[] ConnectionSpecific = ["keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "connection"];

    public static RequestRejection? Check(HttpContext context, HttpLimits limits)
    {
        HttpRequest request = context.Request;
        bool http10 = HttpProtocol.IsHttp10(request.Protocol);
        bool http1 = http10 || HttpProtocol.IsHttp11(request.Protocol);
        if (http1 && request.Headers.TransferEncoding is { Count: > 0 } transferEncoding && CheckTransferEncoding(transferEncoding, http10) is { } badCoding)
        {
            return badCoding;
        }
        if (CheckTarget(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "") is { } badTarget)
        {
            return badTarget;
        }
        foreach (KeyValuePair<string, StringValues> field in request.Headers)
        {
            if (CheckField(field.Key, field.Value, http1, limits.MaxHeaderFieldBytes) is { } badField)
            {
                return badField;
            }
        }
        return null;
    }

    public static RequestRejection? CheckTarget(string rawTarget)
    {
        int bad = rawTarget.AsSpan().IndexOfAny(NotInTarget);
        if (bad < 0)
        {
            return null;
        }
        return rawTarget[bad] == '#'
            ? new RequestRejection(400, "The request target contains a fragment ('#'), which a client never sends (RFC 9110 §7.1).")
            : new RequestRejection(400, $"The request target contains the control character {Describe(rawTarget[bad])} (RFC 9112 §3.2).");
    }

    /// <summary>
    /// A field name must be a token (RFC 9110 §5.1); an HTTP/2 request carries no connection-specific field
    /// (RFC 9113 §8.2.2) and no value with whitespace around it (§8.2.1). A field line longer than
    /// <paramref name="maxLineBytes"/> gets 431 (RFC 6585 §5).
    /// </summary>
    public static RequestRejection? CheckField(string name, StringValues values, bool http1, int maxLineBytes)
    {
        if (!http1 && name.StartsWith(':'))
        {
            return null;   // HTTP/2 pseudo-header fields are Kestrel's
        }
        if (name.Length == 0 || name.AsSpan().ContainsAnyExcept(TokenChars))
        {
            return new RequestRejection(400, $"The header field name '{Printable(name)}' is not a token (RFC 9110 §5.1).");
        }
        if (!http1 && Array.Exists(ConnectionSpecific, field => field.Equals(name, StringComparison.OrdinalIgnoreCase)))
        {
            return new RequestRejection(400, $"The connection-specific header field '{name}' is not allowed in HTTP/2 (RFC 9113 §8.2.2).");
        }
        foreach (string? value in values)
        {
            if (maxLineBytes > 0 && name.Length + 2 + (value?.Length ?? 0) > maxLineBytes)
            {
                return new RequestRejection(431, $"The header field '{name}' is longer than {maxLineBytes} bytes (--limit-request-field_size).");
            }
            // RFC 9113 §8.2.1: an HTTP/2 field value neither starts nor ends with whitespace (HTTP/1 parsing trims it).
            if (!http1 && value is [' ' or '\t', ..] or [.., ' ' or '\t'])
            {
                return new RequestRejection(400, $"The value of the header field '{name}' starts or ends with whitespace (RFC 9113 §8.2.1).");
            }
        }
        return null;
    }

    /// <summary>
    /// RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request means the framing is faulty (400, then close); chunked
    /// may be applied only once (400); a coding the server does not implement is 501 (RFC 9110 §15.6.2). Kestrel
    /// already answers 400 when chunked is missing or not last (RFC 9112 §6.3).
    /// </summary>
    public static RequestRejection? CheckTransferEncoding(StringValues values, bool http10)
    {
        if (http10)
        {
            return new RequestRejection(400, "An HTTP/1.0 request cannot use Transfer-Encoding: its framing is faulty (RFC 9112 §6.1).");
        }
        int chunked = 0;
        string? other = null;
        foreach (string? line in values)
        {
            foreach (string coding in (line ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (coding.Equals("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    chunked++;
                }
                else
                {
                    other ??= coding;
                }
            }
        }
        if (chunked > 1)
        {
            return new RequestRejection(400, "The chunked transfer coding is applied more than once (RFC 9112 §6.1).");
        }
        if (other is not null)
        {
            return new RequestRejection(501, $"The transfer coding '{Printable(other)}' is not implemented; only chunked is (RFC 9112 §6.1).");
        }
        return null;
    }

    private static string Describe(char c) => $"0x{(int)c:X2}";

    /// <summary>A client's text for a page or a log line: control characters written as \xNN.</summary>
    internal static string Printable(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\0', '\u001f') && !text.Contains('\u007f'))
        {
            return text;
        }
        var printable = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c < 0x20 || c == 0x7F)
            {
                printable.Append($"\\x{(int)c:X2}");
            }
            else
            {
                printable.Append(c);
            }
        }
        return printable.ToString();
    }
}
