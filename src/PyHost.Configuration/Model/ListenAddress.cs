using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace PyHost.Configuration.Model;

/// <summary>What a listener speaks: HTTP, or one of the gateway protocols a web server in front uses.</summary>
public enum ListenerProtocol
{
    Http,
    Uwsgi,
    FastCgi,
    Scgi,
}

/// <summary>
/// A listener's address, as <c>-b</c> and <c>[[listen]] address</c> take it: <c>HOST:PORT</c>, <c>[::1]:PORT</c>,
/// <c>unix:PATH</c>, and the gateway forms <c>uwsgi://HOST:PORT</c>, <c>fastcgi://...</c>, <c>scgi://...</c> with
/// their unix-socket forms <c>uwsgi+unix:PATH</c>. A host is an IP address, <c>localhost</c> or <c>*</c>/empty for
/// every IPv4 address, as gunicorn reads it.
/// </summary>
public sealed record ListenAddress
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

    /// <summary>The address as written.</summary>
    public required string Text { get; init; }

    public ListenerProtocol Protocol { get; init; }

    /// <summary>The IP address; null for a unix socket and for <c>localhost</c> (both loopbacks).</summary>
    public IPAddress? Address { get; init; }

    public int Port { get; init; }

    public bool IsLocalhost { get; init; }

    /// <summary>The socket's absolute path for unix forms.</summary>
    public string? UnixSocketPath { get; init; }

    public bool IsUnixSocket => UnixSocketPath is not null;

    /// <summary>A canonical form that two spellings of one address share, to find duplicates.</summary>
    public string Canonical => IsUnixSocket ? $"unix:{UnixSocketPath}"
        : IsLocalhost ? $"localhost:{Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{(Address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString())}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The canonical form with a gateway's scheme ("uwsgi://127.0.0.1:8001", "scgi+unix:/run/a.sock"): how
    /// messages about the socket name it.</summary>
    public string CanonicalUrl => Protocol == ListenerProtocol.Http ? Canonical
        : IsUnixSocket ? $"{SchemeName(Protocol)}+{Canonical}"
        : $"{SchemeName(Protocol)}://{Canonical}";

    /// <summary>The scheme an address of <paramref name="protocol"/> is written with.</summary>
    public static string SchemeName(ListenerProtocol protocol) => protocol switch
    {
        ListenerProtocol.Uwsgi => "uwsgi",
        ListenerProtocol.FastCgi => "fastcgi",
        ListenerProtocol.Scgi => "scgi",
        _ => "http",
    };

    /// <summary>Reads an address; relative unix socket paths are relative to <paramref name="baseDirectory"/>.</summary>
    public static bool TryParse(string text, string baseDirectory, [NotNullWhen(true)] out ListenAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        foreach (var (prefix, protocol) in UnixSchemes)
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string path = text[prefix.Length..];
                if (path.StartsWith("//", StringComparison.Ordinal))
                {
                    path = path[2..];   // unix://path and unix:///abs/path, as some tools write them
                }
                if (path.Length == 0)
                {
                    error = $"'{text}': a unix socket address needs a path, e.g. {prefix}/run/site.sock";
                    return false;
                }
                address = new ListenAddress { Text = text, Protocol = protocol, UnixSocketPath = Path.GetFullPath(path, baseDirectory) };
                error = null;
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
        if (rest.Contains("://", StringComparison.Ordinal))
        {
            error = $"'{text}': unknown scheme; use HOST:PORT for HTTP, or uwsgi://, fastcgi://, scgi:// (and uwsgi+unix:PATH...)";
            return false;
        }

        string host;
        string portText;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']');
            if (close < 0 || (close + 1 < rest.Length && rest[close + 1] != ':'))
            {
                error = $"'{text}': an IPv6 address is written [ADDRESS]:PORT, e.g. [::1]:8000";
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
            address = new ListenAddress { Text = text, Protocol = scheme, IsLocalhost = true, Port = port };
            error = null;
            return true;
        }
        // IPAddress.TryParse takes "8000" or "1.2.3" as IPv4 shorthand (0.0.31.64, 1.2.0.3): nobody means that.
        bool plausible = host.Contains(':') || host.Count(c => c == '.') == 3;
        if (!plausible || !IPAddress.TryParse(host, out IPAddress? ip))
        {
            error = $"'{text}': '{host}' is not an IP address (use e.g. 127.0.0.1:8000, 0.0.0.0:8000, [::1]:8000 or unix:PATH)";
            return false;
        }
        address = new ListenAddress { Text = text, Protocol = scheme, Address = ip, Port = port };
        error = null;
        return true;
    }

    public override string ToString() => Text;
}
