using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PyHost.Configuration.Model;

/// <summary>
/// Where an upstream server listens: <c>http://HOST:PORT</c>, <c>https://HOST:PORT</c>, <c>HOST:PORT</c> (http), or
/// <c>unix:PATH</c> (HTTP over a unix socket, as nginx's <c>server unix:/run/app.sock</c>). HOST is a name or an
/// address. No path: what the upstream sees is the request's path (a route's <c>strip_prefix</c> removes its prefix).
/// </summary>
public sealed record UpstreamAddress
{
    /// <summary>The address as written.</summary>
    public required string Text { get; init; }

    /// <summary>"http" or "https"; "http" for a unix socket.</summary>
    public string Scheme { get; init; } = "http";

    /// <summary>The host name or IP address (IPv6 without brackets); "localhost" for a unix socket.</summary>
    public string Host { get; init; } = "localhost";

    public int Port { get; init; }

    /// <summary>The socket's absolute path for <c>unix:PATH</c>.</summary>
    public string? UnixSocketPath { get; init; }

    public bool IsUnixSocket => UnixSocketPath is not null;

    /// <summary>The URL prefix requests are sent to: "http://10.0.0.1:8000", "http://[::1]:8000".</summary>
    public string UrlPrefix => $"{Scheme}://{UriHost}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The Host field a client sends for <see cref="UrlPrefix"/> (as HttpClient does): the port only when it
    /// is not the scheme's default; "localhost" for a unix socket.</summary>
    public string HostField => IsUnixSocket || Port == (Scheme == "https" ? 443 : 80)
        ? UriHost
        : $"{UriHost}:{Port.ToString(CultureInfo.InvariantCulture)}";

    private string UriHost => Host.Contains(':') ? $"[{Host}]" : Host;

    public static bool TryParse(string text, string baseDirectory, [NotNullWhen(true)] out UpstreamAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            string path = text[5..];
            if (path.StartsWith("//", StringComparison.Ordinal))
            {
                path = path[2..];
            }
            if (path.Length == 0)
            {
                error = $"'{text}': a unix socket address needs a path, e.g. unix:/run/app.sock";
                return false;
            }
            address = new UpstreamAddress { Text = text, UnixSocketPath = Path.GetFullPath(path, baseDirectory), Port = 80 };
            error = null;
            return true;
        }
        string scheme = "http";
        string rest = text;
        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            scheme = text[..schemeEnd].ToLowerInvariant();
            rest = text[(schemeEnd + 3)..];
            if (scheme is not ("http" or "https"))
            {
                error = $"'{text}': an upstream server speaks http:// or https:// (or is a unix:PATH socket), not {scheme}://";
                return false;
            }
        }
        rest = rest.TrimEnd('/');
        if (rest.IndexOfAny(['/', '?', '#', '@']) >= 0)
        {
            error = $"'{text}': an upstream server is a scheme, host and port, without a path or user";
            return false;
        }
        string host;
        string? portText = null;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']');
            if (close < 0 || (close + 1 < rest.Length && rest[close + 1] != ':'))
            {
                error = $"'{text}': an IPv6 address is written [ADDRESS]:PORT, e.g. http://[::1]:8000";
                return false;
            }
            host = rest[1..close];
            portText = close + 2 <= rest.Length ? rest[(close + 2)..] : null;
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            portText = colon < 0 ? null : rest[(colon + 1)..];
        }
        int port = scheme == "https" ? 443 : 80;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is 0 or > 65535))
        {
            error = $"'{text}': '{portText}' is not a port number (1-65535)";
            return false;
        }
        if (host.Length == 0 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            error = $"'{text}': '{host}' is not a host name or IP address";
            return false;
        }
        address = new UpstreamAddress { Text = text, Scheme = scheme, Host = host, Port = port };
        error = null;
        return true;
    }

    public override string ToString() => Text;
}
