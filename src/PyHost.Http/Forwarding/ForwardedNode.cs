using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PyHost.Http.Forwarding;

/// <summary>
/// One hop's address as proxies write it: an X-Forwarded-For entry or a Forwarded <c>for=</c> value (RFC 7239 §6):
/// <c>192.0.2.43</c>, <c>192.0.2.43:47011</c>, <c>2001:db8::1</c>, <c>[2001:db8::1]</c>, <c>[2001:db8::1]:47011</c>,
/// and RFC 7239's <c>unknown</c> and obfuscated <c>_hidden</c> nodes, which name no address.
/// </summary>
public static class ForwardedNode
{
    /// <summary>
    /// False when <paramref name="text"/> is no node at all. True with a null <paramref name="address"/> for
    /// <c>unknown</c> and obfuscated identifiers: a hop that is there but does not say who it is.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IPAddress? address, out int port)
    {
        address = null;
        port = 0;
        text = text.Trim(" \t");
        if (text.IsEmpty)
        {
            return false;
        }
        ReadOnlySpan<char> host = text;
        ReadOnlySpan<char> portText = [];
        bool hasPort = false;
        if (text[0] == '[')
        {
            int close = text.IndexOf(']');
            if (close < 0)
            {
                return false;
            }
            host = text[1..close];
            ReadOnlySpan<char> rest = text[(close + 1)..];
            if (!rest.IsEmpty)
            {
                if (rest[0] != ':')
                {
                    return false;
                }
                portText = rest[1..];
                hasPort = true;
            }
            if (!IsIPv6(host, out address))
            {
                return false;
            }
        }
        else if (text.Count(':') >= 2)
        {
            // A bare IPv6 address: X-Forwarded-For writes them so, with no brackets and no port.
            if (!IsIPv6(text, out address))
            {
                return false;
            }
        }
        else
        {
            int colon = text.IndexOf(':');
            if (colon >= 0)
            {
                host = text[..colon];
                portText = text[(colon + 1)..];
                hasPort = true;
            }
            if (host.Equals("unknown", StringComparison.OrdinalIgnoreCase) || (host.Length > 1 && host[0] == '_' && IsObfuscated(host[1..])))
            {
                // RFC 7239 §6.2 and §6.3: a node without an address; an obfuscated port ("_abc") is no port either.
                return !hasPort || IsObfuscatedPort(portText) || TryParsePort(portText, out port);
            }
            if (!IsIPv4(host, out address))
            {
                return false;
            }
        }
        // RFC 7239 §6.3: node-port = port / obfport.
        if (hasPort && !TryParsePort(portText, out port) && !IsObfuscatedPort(portText))
        {
            address = null;
            return false;
        }
        return true;
    }

    public static bool TryParsePort(ReadOnlySpan<char> text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535 && text.Length <= 5;

    private static bool IsIPv4(ReadOnlySpan<char> text, out IPAddress? address)
    {
        address = null;
        // IPAddress.TryParse reads "10" or "1.2.3" as IPv4 shorthand; a proxy writes four parts.
        return text.Count('.') == 3 && IPAddress.TryParse(text, out address) && address.AddressFamily == AddressFamily.InterNetwork;
    }

    private static bool IsIPv6(ReadOnlySpan<char> text, out IPAddress? address)
    {
        address = null;
        if (text.Contains('%') || !IPAddress.TryParse(text, out IPAddress? parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        return true;
    }

    private static bool IsObfuscatedPort(ReadOnlySpan<char> text) => text.Length > 1 && text[0] == '_' && IsObfuscated(text[1..]);

    // RFC 7239 §6.3: obfnode = "_" 1*( ALPHA / DIGIT / "." / "_" / "-" ).
    private static bool IsObfuscated(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }
        foreach (char c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
