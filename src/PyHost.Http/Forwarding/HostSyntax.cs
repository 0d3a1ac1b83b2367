namespace PyHost.Http.Forwarding;

/// <summary>A Host value, <c>uri-host [ ":" port ]</c> (RFC 9110 §7.2, RFC 3986 §3.2.2): its name and port.</summary>
public static class HostSyntax
{
    /// <summary>
    /// Whether a proxy's host value may become HTTP_HOST and SERVER_NAME: a reg-name or an IP literal, and a port.
    /// Anything else (spaces, slashes, "@", a second colon) is not a host, and is not passed on as one.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> host)
    {
        if (host.IsEmpty)
        {
            return false;
        }
        ReadOnlySpan<char> name = host;
        ReadOnlySpan<char> port = [];
        if (host[0] == '[')
        {
            int close = host.IndexOf(']');
            if (close < 2)
            {
                return false;
            }
            foreach (char c in host[1..close])
            {
                if (!char.IsAsciiHexDigit(c) && c is not (':' or '.'))
                {
                    return false;
                }
            }
            ReadOnlySpan<char> rest = host[(close + 1)..];
            if (!rest.IsEmpty)
            {
                if (rest[0] != ':')
                {
                    return false;
                }
                port = rest[1..];
            }
            return port.IsEmpty || ForwardedNode.TryParsePort(port, out _);
        }
        int colon = host.IndexOf(':');
        if (colon >= 0)
        {
            name = host[..colon];
            port = host[(colon + 1)..];
            if (!ForwardedNode.TryParsePort(port, out _))
            {
                return false;
            }
        }
        if (name.IsEmpty)
        {
            return false;
        }
        foreach (char c in name)
        {
            // reg-name = *( unreserved / pct-encoded / sub-delims )
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.' or '_' or '~' or '%' or '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '='))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The host without its port; an IPv6 literal keeps its brackets (as HostString.Host does).</summary>
    public static string Name(string host)
    {
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']');
            return close < 0 ? host : host[..(close + 1)];
        }
        int colon = host.IndexOf(':');
        return colon < 0 ? host : host[..colon];
    }

    /// <summary>The port, or null when there is none or it is not a number (then the scheme's default applies).</summary>
    public static int? Port(string host)
    {
        int start = host.StartsWith('[') ? host.IndexOf(']') + 1 : 0;
        int colon = host.IndexOf(':', start);
        if (colon < 0 || (start > 0 && colon != start))
        {
            return null;
        }
        return ForwardedNode.TryParsePort(host.AsSpan(colon + 1), out int port) ? port : null;
    }
}
