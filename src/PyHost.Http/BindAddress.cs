using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace PyHost.Http;

/// <summary>One <c>-b/--bind</c> value, as gunicorn takes it: <c>HOST:PORT</c>, <c>[::1]:PORT</c>, <c>unix:PATH</c>.</summary>
public sealed record BindAddress
{
    private BindAddress(string text) => Text = text;

    public string Text { get; }

    /// <summary>The address to listen on; null for a Unix socket or for "localhost" (both loopbacks).</summary>
    public IPAddress? Address { get; private init; }

    public int Port { get; private init; }

    public string? UnixSocketPath { get; private init; }

    public bool IsLocalhost { get; private init; }

    public static bool TryParse(string text, [NotNullWhen(true)] out BindAddress? bind, [NotNullWhen(false)] out string? error)
    {
        bind = null;
        error = null;
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = text["unix:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal))
            {
                path = path[2..];   // unix://path, as some tools write it
            }
            if (path.Length == 0)
            {
                error = $"'{text}': a unix bind needs a path, e.g. unix:/run/app.sock";
                return false;
            }
            bind = new BindAddress(text) { UnixSocketPath = Path.GetFullPath(path) };
            return true;
        }

        string host;
        string portText;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                error = $"'{text}': an IPv6 bind is written [ADDRESS]:PORT, e.g. [::1]:8000";
                return false;
            }
            host = text[1..close];
            portText = close + 2 <= text.Length ? text[(close + 2)..] : "8000";
        }
        else
        {
            int colon = text.LastIndexOf(':');
            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? "8000" : text[(colon + 1)..];
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
            bind = new BindAddress(text) { IsLocalhost = true, Port = port };
            return true;
        }
        // IPAddress.TryParse takes "8000" or "1.2.3" as IPv4 shorthand (0.0.31.64, 1.2.0.3): nobody means that.
        bool dottedQuad = host.Contains(':') || host.Count(c => c == '.') == 3;
        if (!dottedQuad || !IPAddress.TryParse(host, out IPAddress? address))
        {
            error = $"'{text}': '{host}' is not an IP address (use e.g. 127.0.0.1:8000, 0.0.0.0:8000, [::1]:8000 or unix:PATH)";
            return false;
        }
        bind = new BindAddress(text) { Address = address, Port = port };
        return true;
    }
}
