using System.Buffers;
using System.Globalization;
using System.Text;
using PyHost.Protocol;

namespace PyHost.Gateways.Cgi;

/// <summary>How the first line of a gateway response names its status.</summary>
public enum StatusLineStyle
{
    /// <summary>A CGI <c>Status: 200 OK</c> header (RFC 3875 §6.3.3): what FastCGI and SCGI front servers expect.</summary>
    CgiStatusHeader,

    /// <summary>An HTTP status line <c>HTTP/1.1 200 OK</c>: what uWSGI sends and what Apache's mod_proxy_uwsgi
    /// requires (it answers 502 to anything else); nginx accepts both. Mongrel2 handlers send the same.</summary>
    HttpStatusLine,
}

/// <summary>
/// Writes the head of a response for a front server, as a CGI script's output (RFC 3875 §6): the status, the header
/// fields, an empty line; the body follows as the listener's protocol frames it. One writer for uwsgi, SCGI, FastCGI
/// and Mongrel2, so they agree on every byte.
/// </summary>
public static class CgiResponseWriter
{
    /// <summary>The head of an app's response. Its fields were checked by <see cref="ResponseHeadParser"/>: no CR,
    /// LF or NUL can reach the front server from here.</summary>
    public static void Write(IBufferWriter<byte> output, ResponseHead head, StatusLineStyle style)
        => Write(output, head.StatusCode, head.ReasonPhrase, head.Headers, style);

    /// <summary>Names and values are latin-1 strings already checked as HTTP fields (RFC 9110 §5).</summary>
    public static void Write(IBufferWriter<byte> output, int statusCode, string? reasonPhrase,
        IReadOnlyList<KeyValuePair<string, string>> headers, StatusLineStyle style)
    {
        string reason = string.IsNullOrEmpty(reasonPhrase) ? ReasonPhrases.For(statusCode) : reasonPhrase;
        output.Write(style == StatusLineStyle.HttpStatusLine ? "HTTP/1.1 "u8 : "Status: "u8);
        WriteLatin1(output, statusCode.ToString(CultureInfo.InvariantCulture));
        if (reason.Length > 0)
        {
            output.Write(" "u8);
            WriteLatin1(output, reason);
        }
        output.Write("\r\n"u8);
        foreach (var (name, value) in headers)
        {
            WriteLatin1(output, name);
            output.Write(": "u8);
            WriteLatin1(output, value);
            output.Write("\r\n"u8);
        }
        output.Write("\r\n"u8);
    }

    private static void WriteLatin1(IBufferWriter<byte> output, string text)
    {
        Span<byte> span = output.GetSpan(text.Length);
        int written = Encoding.Latin1.GetBytes(text, span);
        output.Advance(written);
    }
}
