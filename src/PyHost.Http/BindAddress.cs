using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace PyHost.Http;

/// <summary>What a listener speaks: HTTP, or the protocol of a web server in front (nginx, Apache, lighttpd).</summary>
public enum ListenerProtocol
{
    Http,
    Uwsgi,
    FastCgi,
    Scgi,
}

/// <summary>
/// One <c>-b/--bind</c> value, as gunicorn takes it: <c>HOST:PORT</c>, <c>[::1]:PORT</c>, <c>unix:PATH</c>; and the
/// gateway forms <c>uwsgi://HOST:PORT</c>, <c>fastcgi://</c>, <c>scgi://</c>, with their Unix socket forms
/// <c>uwsgi+unix:PATH</c>, <c>fastcgi+unix:PATH</c>, <c>scgi+unix:PATH</c> (as the configuration file's addresses).
/// </summary>
public sealed record BindAddress
{
    private static readonly (string Prefix, ListenerProtocol Protocol)[] Schemes =
    [
        ("http://", ListenerProtocol.Http), ("uwsgi://", ListenerProtocol.Uwsgi), ("fastcgi://", ListenerProtocol.FastCgi),
        ("fcgi://", ListenerProtocol.FastCgi), ("scgi://", ListenerProtocol.Scgi),
    ];

    private static readonly (string Prefix, ListenerProtocol Protocol)[] UnixSchemes =
    [
        ("unix:", ListenerProtocol.Http), ("uwsgi+unix:", ListenerProtocol.Uwsgi), ("fastcgi+unix:", ListenerProtocol.FastCgi),
        ("fcgi+unix:", ListenerProtocol.FastCgi), ("scgi+unix:", ListenerProtocol.Scgi),
    ];

    private BindAddress(string text) => Text = text;

    public string Text { get; }

    public ListenerProtocol Protocol { get; private init; }

    /// <summary>The address to listen on; null for a Unix socket or for "localhost" (both loopbacks).</summary>
    public IPAddress? Address { get; private init; }

    public int Port { get; private init; }

    public string? UnixSocketPath { get; private init; }

    public bool IsLocalhost { get; private init; }

    public static bool TryParse(string text, [NotNullWhen(true)] out BindAddress? bind, [NotNullWhen(false)] out string? error)
    {
        bind = null;
        error = null;
        foreach (var (prefix, protocol) in UnixSchemes)
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string path = text[prefix.Length..];
                if (path.StartsWith("//", StringComparison.Ordinal))
                {
                    path = path[2..];   // unix://path, as some tools write it
                }
                if (path.Length == 0)
                {
                    error = $"'{text}': a unix bind needs a path, e.g. {prefix}/run/app.sock";
                    return false;
                }
                bind = new BindAddress(text) { Protocol = protocol, UnixSocketPath = Path.GetFullPath(path) };
                return true;
            }
        }

        ListenerProtocol scheme = ListenerProtocol.Http;
        string rest = text;
        foreach (var (prefix, protocol) in Schemes)
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                scheme = protocol;
                rest = text[prefix.Length..];
                break;
            }
        }
        if (rest.Contains("://", StringComparison.Ordinal) || rest.Contains('/'))
        {
            error = $"'{text}': use HOST:PORT for HTTP, or uwsgi://HOST:PORT, fastcgi://HOST:PORT, scgi://HOST:PORT "
                    + "(and uwsgi+unix:PATH, fastcgi+unix:PATH, scgi+unix:PATH) for a web server in front";
            return false;
        }

        string host;
        string portText;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']');
            if (close < 0 || (close + 1 < rest.Length && rest[close + 1] != ':'))
            {
                error = $"'{text}': an IPv6 bind is written [ADDRESS]:PORT, e.g. [::1]:8000";
                return false;
            }
            host = rest[1..close];
            portText = close + 2 <= rest.Length ? rest[(close + 2)..] : "8000";
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            portText = colon < 0 ? "8000" : rest[(colon + 1)..];
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            error = $"'{text}': '{portText}' is not a port number (0-65535)";
            return false;
        }
        if (host.Length == 0 || host == "*")
        {
            host = "0.0.0.0";
        }
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            bind = new BindAddress(text) { Protocol = scheme, IsLocalhost = true, Port = port };
            return true;
        }
        // IPAddress.TryParse takes "8000" or "1.2.3" as IPv4 shorthand (0.0.31.64, 1.2.0.3): nobody means that.
        bool dottedQuad = host.Contains(':') || host.Count(c => c == '.') == 3;
        if (!dottedQuad || !IPAddress.TryParse(host, out IPAddress? address))
        {
            error = $"'{text}': '{host}' is not an IP address (use e.g. 127.0.0.1:8000, 0.0.0.0:8000, [::1]:8000 or unix:PATH)";
            return false;
        }
        bind = new BindAddress(text) { Protocol = scheme, Address = address, Port = port };
        return true;
    }
}
