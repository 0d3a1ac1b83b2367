using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace PyHost.Http.Cgi;

/// <summary>
/// The environment of a CGI script for an HTTP request: the meta-variables of RFC 3875 §4.1 and the ones Apache's
/// mod_cgi adds that scripts rely on (REQUEST_URI, SCRIPT_FILENAME, REQUEST_SCHEME, HTTPS, SERVER_ADDR, REMOTE_PORT,
/// CONTEXT_PREFIX). Values are latin-1 native strings, each char one byte, as <c>CgiInvocation</c> takes them.
/// </summary>
internal static class CgiMetaVariables
{
    public static List<KeyValuePair<string, string>> For(HttpContext context, CgiMount mount, CgiScript script, string serverSoftware)
    {
        HttpRequest request = context.Request;
        ConnectionInfo connection = context.Connection;
        string rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        RequestTarget.Split(rawTarget, out _, out ReadOnlySpan<char> query);
        var variables = new List<KeyValuePair<string, string>>(32)
        {
            new("GATEWAY_INTERFACE", "CGI/1.1"),
            new("SERVER_SOFTWARE", serverSoftware),
            new("SERVER_PROTOCOL", request.Protocol),
            new("REQUEST_METHOD", request.Method),
            new("REQUEST_SCHEME", request.Scheme),
            new("REQUEST_URI", rawTarget),
            new("QUERY_STRING", query.ToString()),
            new("SCRIPT_NAME", Latin1(script.ScriptName)),
            new("SCRIPT_FILENAME", Latin1(script.FilePath)),
            new("CONTEXT_PREFIX", Latin1(mount.UrlPrefix + "/")),
            new("CONTEXT_DOCUMENT_ROOT", Latin1(mount.Directory + "/")),
        };
        if (script.PathInfo.Length > 0)
        {
            variables.Add(new("PATH_INFO", Latin1(script.PathInfo)));
            // §4.1.6: PATH_INFO mapped onto the server's documents; PyHost's are the mount's directory.
            variables.Add(new("PATH_TRANSLATED", Latin1(mount.Directory + script.PathInfo)));
        }
        if (request.IsHttps)
        {
            variables.Add(new("HTTPS", "on"));
        }
        HostString host = request.Host;
        variables.Add(new("SERVER_NAME", host.HasValue ? host.Host : connection.LocalIpAddress?.ToString() ?? "localhost"));
        int serverPort = host.Port ?? (host.HasValue ? (request.IsHttps ? 443 : 80) : connection.LocalPort);
        variables.Add(new("SERVER_PORT", serverPort.ToString(CultureInfo.InvariantCulture)));
        variables.Add(new("SERVER_ADDR", Address(connection.LocalIpAddress)));
        variables.Add(new("REMOTE_ADDR", Address(connection.RemoteIpAddress)));
        variables.Add(new("REMOTE_PORT", connection.RemotePort.ToString(CultureInfo.InvariantCulture)));
        AddHeaders(variables, request.Headers);
        return variables;
    }

    /// <summary>
    /// §4.1.18: each header as HTTP_NAME, CONTENT_TYPE and CONTENT_LENGTH without the prefix. Left out as Apache leaves
    /// them out: Authorization and Proxy-Authorization (credentials the server checks, §4.1.18 allows it), Proxy (a
    /// script's HTTP_PROXY would be taken for its own proxy setting: "httpoxy", CVE-2016-5385), and names with '_'.
    /// </summary>
    private static void AddHeaders(List<KeyValuePair<string, string>> variables, IHeaderDictionary headers)
    {
        foreach (KeyValuePair<string, StringValues> header in headers)
        {
            string name = header.Key;
            if (name.Contains('_') || name.StartsWith(':') || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Proxy", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            string value = header.Value.Count == 1 ? header.Value[0]!
                : string.Join(name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ", header.Value.ToArray());
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                variables.Add(new("CONTENT_TYPE", value));
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                variables.Add(new("CONTENT_LENGTH", value));
            }
            else
            {
                var key = new StringBuilder("HTTP_", 5 + name.Length);
                foreach (char c in name)
                {
                    key.Append(c == '-' ? '_' : char.ToUpperInvariant(c));
                }
                variables.Add(new(key.ToString(), value));
            }
        }
    }

    private static string Address(IPAddress? address)
    {
        if (address is not null && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return address?.ToString() ?? "";
    }

    /// <summary>A path decoded from UTF-8 back to its bytes, one char each.</summary>
    private static string Latin1(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
}
