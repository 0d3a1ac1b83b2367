namespace PyHost.Http;

/// <summary>
/// How much a client may send and how long it may take: the front's answer to oversized heads, slowloris and
/// connection floods. Defaults follow nginx where nginx has the limit (README "Limits and timeouts" says which).
/// A plain record, so the configuration file can fill it as the flags do.
/// </summary>
public sealed record HttpLimits
{
    /// <summary>The request line, method to version, without its CRLF: 414 beyond (RFC 9112 §3). 0: no limit.
    /// nginx reads it into an 8 KiB buffer; gunicorn's default is 4094.</summary>
    public int MaxRequestLineBytes { get; init; } = 8190;

    /// <summary>Header fields in one request: 431 beyond (RFC 6585 §5). 0: gunicorn's maximum, 32768.</summary>
    public int MaxHeaderFields { get; init; } = 100;

    /// <summary>One header field line, "Name: value": 431 beyond (RFC 6585 §5). 0: no limit of its own; the whole
    /// header section stays bounded (<see cref="MaxHeaderSectionBytes"/>).</summary>
    public int MaxHeaderFieldBytes { get; init; } = 8190;

    /// <summary>The whole header section, as nginx's four 8 KiB buffers: 431 beyond. At least four fields' worth.</summary>
    public int MaxHeaderSectionBytes => MaxHeaderFieldBytes == 0 ? 1024 * 1024 : Math.Max(32 * 1024, 4 * MaxHeaderFieldBytes);

    /// <summary>Time for a whole request head to arrive, from its first byte: 408 and close (RFC 9110 §15.5.9).
    /// nginx: client_header_timeout 60 s. Zero: no limit.</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an idle connection waits for its next request before it is closed (RFC 9112 §9.8).
    /// nginx: keepalive_timeout 75 s; gunicorn's 2 s suits only a proxy in front. Zero: one request per connection.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>A request body slower than this, after <see cref="MinRequestBodyRateGrace"/>, gets 408 and the
    /// connection closed. Kestrel's default; nginx instead allows 60 s between two reads. 0: no minimum.</summary>
    public int MinRequestBodyBytesPerSecond { get; init; } = 240;

    public TimeSpan MinRequestBodyRateGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Open client connections in total; one more is answered 503 and closed. 0: no limit.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Open connections from one client address (after the PROXY protocol; trusted proxies are exempt:
    /// they carry many clients). nginx has no such limit unless limit_conn is set. 0: no limit.</summary>
    public int MaxConnectionsPerClient { get; init; }
}
