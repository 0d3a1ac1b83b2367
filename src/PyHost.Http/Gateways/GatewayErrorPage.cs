using System.Buffers;
using System.Globalization;
using PyHost.Gateways.Cgi;

namespace PyHost.Http.Gateways;

/// <summary>The front's own short page (<see cref="ErrorPages"/>) as a gateway response: head and body.</summary>
internal static class GatewayErrorPage
{
    public static (List<KeyValuePair<string, string>> Headers, byte[] Page) Render(int statusCode, string explanation)
    {
        byte[] page = ErrorPages.Render(statusCode, System.Net.WebUtility.HtmlEncode(explanation));
        var headers = new List<KeyValuePair<string, string>>(3)
        {
            new("Content-Type", "text/html; charset=utf-8"),
            new("Content-Length", page.Length.ToString(CultureInfo.InvariantCulture)),
        };
        if (statusCode == 503)
        {
            headers.Add(new("Retry-After", "1"));
        }
        return (headers, page);
    }

    /// <summary>For uwsgi and SCGI, whose response is the bytes on the connection.</summary>
    public static void Write(IBufferWriter<byte> output, StatusLineStyle style, int statusCode, string explanation)
    {
        (List<KeyValuePair<string, string>> headers, byte[] page) = Render(statusCode, explanation);
        CgiResponseWriter.Write(output, statusCode, null, headers, style);
        output.Write(page);
    }
}
