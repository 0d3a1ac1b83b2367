using System.Text;
using PyHost.Protocol;

namespace PyHost.Gateways;

/// <summary>
/// What a listener needs to know about a request that arrived by uwsgi, SCGI, FastCGI or Mongrel2, read from its CGI
/// variables: the method, the path to route on, the host, the scheme and the body length. Front servers disagree on
/// SCRIPT_NAME and PATH_INFO (see docs in <see cref="GatewayScriptName"/>), so the path is taken from REQUEST_URI,
/// which all of them send, percent-decoded exactly as the HTTP front decodes its request target.
/// </summary>
public sealed partial class GatewayRequest
{
    private GatewayRequest(CgiVariables variables)
    {
        Variables = variables;
    }

    public CgiVariables Variables { get; }

    public string Method { get; private set; } = "";

    /// <summary>The whole request path, percent-decoded, as a latin-1 native string: SCRIPT_NAME + PATH_INFO.</summary>
    public string Path { get; private set; } = "/";

    /// <summary>The request target as the client sent it (REQUEST_URI), or rebuilt from the path and query.</summary>
    public string RequestUri { get; private set; } = "/";

    public string QueryString { get; private set; } = "";

    /// <summary>The Host header without its port, else SERVER_NAME; null when the peer sent neither.</summary>
    public string? Host { get; private set; }

    /// <summary>"https" when the front says the client used TLS (HTTPS=on, REQUEST_SCHEME or UWSGI_SCHEME), else "http".</summary>
    public string Scheme { get; private set; } = "http";

    /// <summary>CONTENT_LENGTH; null when absent or empty. uwsgi and SCGI bodies are exactly this long.</summary>
    public long? ContentLength { get; private set; }

    /// <summary>
    /// The mount point the front server's SCRIPT_NAME names, when it is a proper prefix of <see cref="Path"/> ending
    /// at a '/' (nginx with <c>uwsgi_param SCRIPT_NAME /app</c>, Apache's <c>ProxyPass /app/ uwsgi://…</c>); else "".
    /// Some fronts put the whole path in SCRIPT_NAME (nginx's default fastcgi_params, Apache mod_proxy_fcgi and
    /// mod_proxy_scgi) and lighttpd, mounted at "/", splits after the first segment unless "fix-root-scriptname" is
    /// set. When SCRIPT_NAME is no mount point, a PATH_INFO that is a proper suffix of the path at a '/' names one
    /// (Apache with proxy-fcgi-pathinfo or proxy-scgi-pathinfo). A PyHost route's own mount point, passed to
    /// <see cref="WriteEnviron"/>, overrides this.
    /// </summary>
    public string GatewayScriptName { get; private set; } = "";

    /// <summary>Reads the request facts; false with a one-line reason when a variable makes no sense.</summary>
    public static bool TryCreate(CgiVariables variables, out GatewayRequest? request, out string? error)
    {
        request = null;
        var built = new GatewayRequest(variables);
        if (!built.TryReadMethod(out error) || !built.TryReadPath(out error) || !built.TryReadContentLength(out error))
        {
            return false;
        }
        built.ReadHostAndScheme();
        request = built;
        return true;
    }

    private bool TryReadMethod(out string? error)
    {
        if (!Variables.TryGetValue("REQUEST_METHOD", out ReadOnlySpan<byte> method) || !HttpTokens.IsToken(method))
        {
            error = method.IsEmpty ? "REQUEST_METHOD is missing" : $"REQUEST_METHOD '{Describe(method)}' is not a method";
            return false;
        }
        Method = Encoding.ASCII.GetString(method);
        error = null;
        return true;
    }

    private bool TryReadPath(out string? error)
    {
        error = null;
        bool hasQuery = Variables.TryGetValue("QUERY_STRING", out ReadOnlySpan<byte> query);
        if (Variables.TryGetValue("REQUEST_URI", out ReadOnlySpan<byte> uri) && !uri.IsEmpty)
        {
            if (uri.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
            {
                error = "REQUEST_URI contains a control character";
                return false;
            }
            RequestUri = Encoding.Latin1.GetString(uri);
            ReadOnlySpan<byte> target = WithoutSchemeAndAuthority(uri);
            int queryStart = target.IndexOf((byte)'?');
            ReadOnlySpan<byte> rawPath = queryStart < 0 ? target : target[..queryStart];
            if (!hasQuery && queryStart >= 0)
            {
                query = target[(queryStart + 1)..];
            }
            Path = DecodePath(rawPath);
        }
        else
        {
            // No REQUEST_URI (a hand-written config): the gateway's own split is all there is.
            Variables.TryGetValue("SCRIPT_NAME", out ReadOnlySpan<byte> scriptName);
            Variables.TryGetValue("PATH_INFO", out ReadOnlySpan<byte> pathInfo);
            Path = Encoding.Latin1.GetString(scriptName) + Encoding.Latin1.GetString(pathInfo);
            RequestUri = PercentEncoding.QuotePath(Path) + (query.IsEmpty ? "" : "?" + Encoding.Latin1.GetString(query));
        }
        if (Path.Length == 0)
        {
            Path = "/";
        }
        QueryString = Encoding.Latin1.GetString(query);
        GatewayScriptName = ReadGatewayScriptName();
        return true;
    }

    /// <summary>An absolute-form target (RFC 9112 §3.2.2, "GET http://host/path") keeps only its path and query.</summary>
    private static ReadOnlySpan<byte> WithoutSchemeAndAuthority(ReadOnlySpan<byte> target)
    {
        if (target.IsEmpty || target[0] == (byte)'/' || target[0] == (byte)'*')
        {
            return target;
        }
        int schemeEnd = target.IndexOf("://"u8);
        if (schemeEnd <= 0)
        {
            return target;
        }
        ReadOnlySpan<byte> afterAuthority = target[(schemeEnd + 3)..];
        int pathStart = afterAuthority.IndexOfAny((byte)'/', (byte)'?');
        return pathStart < 0 ? "/"u8 : afterAuthority[pathStart..];
    }

    private static string DecodePath(ReadOnlySpan<byte> rawPath)
    {
        Span<byte> decoded = rawPath.Length <= 512 ? stackalloc byte[rawPath.Length] : new byte[rawPath.Length];
        int length = PercentEncoding.Decode(rawPath, decoded);
        return Encoding.Latin1.GetString(decoded[..length]);
    }

    private string ReadGatewayScriptName()
    {
        string? scriptName = Variables.GetLatin1("SCRIPT_NAME");
        if (IsMountPoint(scriptName))
        {
            return scriptName!;
        }
        // Apache's mod_proxy_fcgi and mod_proxy_scgi put the whole path in SCRIPT_NAME; with proxy-fcgi-pathinfo or
        // proxy-scgi-pathinfo set, PATH_INFO is the path below the ProxyPass prefix (percent-encoded, unless
        // "unescape"), so the mount point is what comes before it.
        string? pathInfo = Variables.GetLatin1("PATH_INFO");
        if (string.IsNullOrEmpty(pathInfo) || pathInfo[0] != '/')
        {
            return "";
        }
        foreach (string below in new[] { pathInfo, DecodePath(Encoding.Latin1.GetBytes(pathInfo)) })
        {
            if (Path.Length > below.Length && Path.EndsWith(below, StringComparison.Ordinal) && IsMountPoint(Path[..^below.Length]))
            {
                return Path[..^below.Length];
            }
        }
        return "";
    }

    /// <summary>A proper prefix of <see cref="Path"/> that ends just before one of its '/'.</summary>
    private bool IsMountPoint(string? prefix) =>
        !string.IsNullOrEmpty(prefix) && prefix[0] == '/' && prefix[^1] != '/'
        && Path.Length > prefix.Length && Path[prefix.Length] == '/' && Path.StartsWith(prefix, StringComparison.Ordinal);

    private bool TryReadContentLength(out string? error)
    {
        error = null;
        if (!Variables.TryGetValue("CONTENT_LENGTH", out ReadOnlySpan<byte> value) || value.IsEmpty)
        {
            return true;
        }
        if (!TryParseLength(value, out long length))
        {
            error = $"CONTENT_LENGTH '{Describe(value)}' is not a length";
            return false;
        }
        ContentLength = length;
        return true;
    }

    /// <summary>Decimal digits only, at most 18 so the value cannot overflow a long.</summary>
    internal static bool TryParseLength(ReadOnlySpan<byte> digits, out long length)
    {
        length = 0;
        if (digits.IsEmpty || digits.Length > 18)
        {
            return false;
        }
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            length = length * 10 + (b - '0');
        }
        return true;
    }

    private void ReadHostAndScheme()
    {
        string? host = Variables.GetLatin1("HTTP_HOST");
        Host = string.IsNullOrEmpty(host) ? NullIfEmpty(Variables.GetLatin1("SERVER_NAME")) : HostWithoutPort(host);
        Scheme = IsHttps() ? "https" : "http";
    }

    private bool IsHttps()
    {
        // nginx and Apache send HTTPS=on over TLS; uWSGI also honours "1"; UWSGI_SCHEME is uWSGI's own override.
        if (Variables.TryGetValue("HTTPS", out ReadOnlySpan<byte> https) && !https.IsEmpty)
        {
            return Ascii.EqualsIgnoreCase(https, "on"u8) || https.SequenceEqual("1"u8);
        }
        if (Variables.TryGetValue("UWSGI_SCHEME", out ReadOnlySpan<byte> scheme)
            || Variables.TryGetValue("REQUEST_SCHEME", out scheme))
        {
            return Ascii.EqualsIgnoreCase(scheme, "https"u8);
        }
        return false;
    }

    /// <summary>"example.com:8080" → "example.com"; "[::1]:8080" → "[::1]".</summary>
    internal static string HostWithoutPort(string host)
    {
        int colon = host.LastIndexOf(':');
        return colon > 0 && colon > host.LastIndexOf(']') ? host[..colon] : host;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    internal static string Describe(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, 80)]);
        return text.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0");
    }
}
