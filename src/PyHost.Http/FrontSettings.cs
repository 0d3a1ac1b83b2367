using PyHost.Configuration.Model;
using PyHost.Http.Forwarding;

namespace PyHost.Http;

/// <summary>Whose word the front takes about the client: trusted proxies and the headers they speak in.</summary>
public sealed record FrontTrust(TrustedProxies ForwardedAllowIps, ForwardedHeaderStyle ForwardedHeaders)
{
    public static FrontTrust LoopbackXForwarded { get; } = new(TrustedProxies.Loopback, ForwardedHeaderStyle.XForwarded);
}

/// <summary>How one listener speaks to its clients: Kestrel's limits, the PROXY protocol, the kernel backlog.</summary>
public sealed record FrontListenerSettings
{
    public HttpLimits Limits { get; init; } = new();

    /// <summary>HTTP, or the protocol of a web server in front (uwsgi, FastCGI, SCGI) spoken on this listener.</summary>
    public ListenerProtocol Protocol { get; init; } = ListenerProtocol.Http;

    /// <summary>Every connection starts with a PROXY protocol v1 or v2 header, believed from trusted proxies only.</summary>
    public bool ProxyProtocol { get; init; }

    /// <summary>The kernel's listen backlog (gunicorn --backlog).</summary>
    public int Backlog { get; init; } = 2048;

    /// <summary>HTTP/2 is offered (by ALPN, or by its preface on cleartext).</summary>
    public bool Http2 { get; init; } = true;

    /// <summary>HTTP/1.1 is offered.</summary>
    public bool Http1 { get; init; } = true;

    /// <summary>/_pyhost/live and /_pyhost/ready are answered here, before any site (<c>health_endpoints</c>).</summary>
    public bool HealthEndpoints { get; init; }
}
