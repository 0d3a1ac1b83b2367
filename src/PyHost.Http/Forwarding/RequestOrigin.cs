using System.Net;
using Microsoft.Extensions.Primitives;
using PyHost.Configuration.Model;

namespace PyHost.Http.Forwarding;

/// <summary>What the connection itself says about a request, before any proxy header is read.</summary>
/// <param name="Peer">The transport peer (after the PROXY protocol, if the listener speaks it); null for a Unix socket.</param>
/// <param name="Host">The Host header (or HTTP/2 :authority), null when absent.</param>
public readonly record struct TransportFacts(IPAddress? Peer, int PeerPort, string Scheme, string? Host, IPAddress? LocalAddress, int LocalPort);

/// <summary>The proxy headers of a request as received; all field lines of each.</summary>
public readonly record struct ForwardingFields(
    StringValues Forwarded, StringValues ForwardedFor, StringValues ForwardedProto, StringValues ForwardedHost, StringValues ForwardedPort);

/// <summary>
/// Who sent a request and to which URL, as the app and the access log see it: REMOTE_ADDR, REMOTE_PORT,
/// wsgi.url_scheme, HTTP_HOST, SERVER_NAME and SERVER_PORT.
/// </summary>
/// <param name="RemoteAddress">The client's address; "" when nothing names it (a Unix-socket peer, RFC 7239 "unknown").</param>
/// <param name="RemotePort">The client's port; 0 when a proxy named the client without one.</param>
/// <param name="Host">HTTP_HOST; null when the request had none.</param>
/// <param name="ViaTrustedProxy">True when a trusted proxy's headers changed any of these.</param>
public sealed record RequestOrigin(string RemoteAddress, int RemotePort, string Scheme, string? Host, string ServerName, int ServerPort, bool ViaTrustedProxy)
{
    /// <summary>
    /// The one place a request's origin is decided. Headers count only from a trusted peer. The client is the
    /// right-most address that is not a trusted proxy: each trusted hop appended the address it saw, and everything
    /// to the left of the first untrusted one is the client's own to forge. X-Forwarded-Proto/Host/Port take their
    /// right-most value, the one the nearest proxy set; a Forwarded element gives proto and host with its client.
    /// </summary>
    public static RequestOrigin Resolve(TrustedProxies trusted, ForwardedHeaderStyle style, in TransportFacts transport, in ForwardingFields fields)
    {
        IPAddress? peer = transport.Peer is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : transport.Peer;
        string peerText = peer?.ToString() ?? "";
        if (style == ForwardedHeaderStyle.None || !trusted.TrustsPeer(peer))
        {
            return Build(peerText, transport.PeerPort, transport.Scheme, transport.Host, null, transport, viaProxy: false);
        }
        return style == ForwardedHeaderStyle.Forwarded
            ? FromForwarded(trusted, peerText, transport, fields.Forwarded)
            : FromXForwarded(trusted, peerText, transport, fields);
    }

    private static RequestOrigin FromXForwarded(TrustedProxies trusted, string peer, in TransportFacts transport, in ForwardingFields fields)
    {
        string client = peer;
        int clientPort = transport.PeerPort;
        bool changed = false;
        List<string> hops = ListItems(fields.ForwardedFor);
        for (int i = hops.Count - 1; i >= 0; i--)
        {
            changed = true;
            clientPort = 0;
            if (!ForwardedNode.TryParse(hops[i], out IPAddress? address, out int hopPort) || address is null)
            {
                // A hop vouched for by a trusted proxy that names no address: the client is unknown, and must not
                // pass for the trusted proxy that relayed it.
                client = "";
                break;
            }
            client = address.ToString();
            clientPort = hopPort;
            if (!trusted.Contains(address))
            {
                break;
            }
        }

        string scheme = transport.Scheme;
        if (LastItem(fields.ForwardedProto) is { } proto && NormalizeScheme(proto) is { } forwardedScheme)
        {
            scheme = forwardedScheme;
            changed = true;
        }
        string? host = null;
        if (LastItem(fields.ForwardedHost) is { } forwardedHost && HostSyntax.IsValid(forwardedHost))
        {
            host = forwardedHost;
            changed = true;
        }
        int? port = null;
        if (LastItem(fields.ForwardedPort) is { } portText && ForwardedNode.TryParsePort(portText, out int forwardedPort))
        {
            port = forwardedPort;
            changed = true;
        }
        if (host is null && port is { } onlyPort && transport.Host is { } hostHeader)
        {
            // X-Forwarded-Port alone: the client's URL had the Host header's name and this port (as Werkzeug's
            // ProxyFix does), so links the app builds from HTTP_HOST point where the client went.
            string name = HostSyntax.Name(hostHeader);
            host = onlyPort == DefaultPort(scheme) ? name : $"{name}:{onlyPort}";
        }
        return Build(client, clientPort, scheme, host ?? transport.Host, port, transport, changed);
    }

    private static RequestOrigin FromForwarded(TrustedProxies trusted, string peer, in TransportFacts transport, StringValues header)
    {
        IReadOnlyList<ForwardedElement>? elements = header.Count == 0 ? null : ForwardedHeader.Parse(header);
        if (elements is null || elements.Count == 0)
        {
            return Build(peer, transport.PeerPort, transport.Scheme, transport.Host, null, transport, viaProxy: false);
        }
        string client = peer;
        int clientPort = transport.PeerPort;
        ForwardedElement chosen = elements[^1];
        for (int i = elements.Count - 1; i >= 0; i--)
        {
            chosen = elements[i];
            if (chosen.For is null)
            {
                break;   // the proxy did not say who its client was: the peer stays the client
            }
            clientPort = 0;
            if (!ForwardedNode.TryParse(chosen.For, out IPAddress? address, out int port) || address is null)
            {
                client = "";
                break;
            }
            client = address.ToString();
            clientPort = port;
            if (!trusted.Contains(address))
            {
                break;
            }
        }
        string scheme = chosen.Proto is { } proto && NormalizeScheme(proto) is { } forwardedScheme ? forwardedScheme : transport.Scheme;
        string? host = chosen.Host is { } forwardedHost && HostSyntax.IsValid(forwardedHost) ? forwardedHost : transport.Host;
        return Build(client, clientPort, scheme, host, null, transport, viaProxy: true);
    }

    /// <summary>SERVER_NAME and SERVER_PORT from the (possibly forwarded) Host, as gunicorn and wsgiref take them.</summary>
    private static RequestOrigin Build(string client, int clientPort, string scheme, string? host, int? port, in TransportFacts transport, bool viaProxy)
    {
        // The listening address is formatted only when there is no Host to name the server: a request rarely lacks one.
        string serverName = host is null ? transport.LocalAddress?.ToString() ?? "localhost" : HostSyntax.Name(host);
        int serverPort = port ?? (host is null ? transport.LocalPort : HostSyntax.Port(host) ?? DefaultPort(scheme));
        return new RequestOrigin(client, clientPort, scheme, host, serverName, serverPort, viaProxy);
    }

    private static int DefaultPort(string scheme) => scheme == "https" ? 443 : 80;

    private static string? NormalizeScheme(string value) => value.Trim().ToLowerInvariant() switch
    {
        "https" => "https",
        "http" => "http",
        _ => null,
    };

    /// <summary>The comma-separated list items of every field line, trimmed, empty ones dropped (RFC 9110 §5.6.1).</summary>
    private static List<string> ListItems(StringValues lines)
    {
        var items = new List<string>();
        foreach (string? line in lines)
        {
            if (line is not null)
            {
                items.AddRange(line.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            }
        }
        return items;
    }

    private static string? LastItem(StringValues lines)
    {
        for (int i = lines.Count - 1; i >= 0; i--)
        {
            string? line = lines[i];
            if (line is null)
            {
                continue;
            }
            foreach (string item in line.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                return item;
            }
        }
        return null;
    }
}
