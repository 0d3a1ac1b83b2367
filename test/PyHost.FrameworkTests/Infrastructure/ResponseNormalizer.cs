using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>
/// Makes two servers' answers comparable: keeps the header fields a client acts on, replaces each server's own
/// address by "SERVER", masks dates and whatever an app makes up per response (CSRF tokens, session ids, signed
/// cookies with a timestamp). What is left must be byte for byte the same.
/// </summary>
public sealed class ResponseNormalizer
{
    /// <summary>The fields the issue names (Content-Type, Set-Cookie, Location, Content-Length) and those of ranges and downloads.</summary>
    public static readonly string[] ComparedHeaders =
        ["Content-Type", "Content-Length", "Location", "Set-Cookie", "Content-Range", "Content-Disposition", "Allow"];

    private static readonly Regex CookieExpiry = new(@"(?i)\bexpires=[^;]+");

    private readonly List<(Regex Pattern, string Replacement)> masks = [];

    /// <summary>Adds a mask; <paramref name="replacement"/> may use groups ($1).</summary>
    public ResponseNormalizer Mask(string pattern, string replacement)
    {
        masks.Add((new Regex(pattern), replacement));
        return this;
    }

    /// <summary>Masks the value of a cookie wherever it appears (Set-Cookie, or echoed in a body).</summary>
    public ResponseNormalizer MaskCookie(string name) => Mask($@"\b({Regex.Escape(name)}=)[^;\s""]+", "$1<" + name + ">");

    /// <summary>
    /// Masks the timestamp and signature of a signed cookie but keeps its payload, which must still be the same:
    /// Django's signing writes <c>payload:timestamp:signature</c>, itsdangerous (Flask) <c>payload.timestamp.signature</c>,
    /// and either may start the payload with '.' when it is compressed.
    /// </summary>
    public ResponseNormalizer MaskCookieSignature(string name, char separator)
    {
        string escaped = Regex.Escape(separator.ToString());
        return Mask($@"\b({Regex.Escape(name)}=\.?[^{escaped};\s""]+){escaped}[^;\s""]+", $"$1{separator}<timestamp and signature>");
    }

    public Exchange Normalize(WebServer server, string request, RawHttpResponseHead head, byte[] body, int? chunks)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (string name in ComparedHeaders.Where(name => name != "Content-Length" || MayHaveContentLength(head.StatusCode)))
        {
            foreach (var field in head.Headers.Where(field => field.Key.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                string value = Apply(server, field.Value);
                headers.Add(new(name, name == "Set-Cookie" ? CookieExpiry.Replace(value, "expires=<date>") : value));
            }
        }
        if (chunks is { } count)
        {
            headers.Add(new("(chunks)", count.ToString()));
        }
        return new Exchange(request, head.StatusCode, headers, DescribeBody(server, head.Header("Content-Type"), body));
    }

    /// <summary>
    /// RFC 9110 §8.6: "A server MUST NOT send a Content-Length header field in any response with a status code of 1xx
    /// (Informational) or 204 (No Content)", and a 304 describes a body it does not have. Bottle sets
    /// Content-Length: 0 on its 204s; gunicorn passes that on, pyhost (Kestrel) does not. The one difference the
    /// comparison forgives, because pyhost is the one following the RFC.
    /// </summary>
    public static bool MayHaveContentLength(int status) => status is not (< 200 or 204 or 304);

    private string DescribeBody(WebServer server, string? contentType, byte[] body)
    {
        if (body.Length == 0)
        {
            return "";
        }
        if (IsText(contentType))
        {
            return Apply(server, Encoding.UTF8.GetString(body));
        }
        return $"<{body.Length} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(body))}>";
    }

    private static bool IsText(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
            || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase)
            || contentType.Contains("javascript", StringComparison.OrdinalIgnoreCase));

    private string Apply(WebServer server, string text)
    {
        text = text.Replace(server.Authority, "SERVER", StringComparison.Ordinal);
        foreach (var (pattern, replacement) in masks)
        {
            text = pattern.Replace(text, replacement);
        }
        return text;
    }
}
