using Microsoft.Extensions.Logging;
using PyHost.Gateways;

namespace PyHost.Http.Gateways;

/// <summary>
/// What every gateway listener shares with the HTTP front: its route table (each route's app, buffering and body size
/// limit, reached through the one dispatch core), the listener's limits (its head and keep-alive timeouts and minimum body rate apply to gateway peers
/// as to HTTP clients), the access log and the error pages.
/// </summary>
internal sealed class GatewayServices
{
    /// <summary>The front whose route table (swapped by a reload) sends each request to its app.</summary>
    public required HttpFront Front { get; init; }

    /// <summary>The HTTP front's limits (--header-timeout, --keep-alive, --min-request-body-rate), read as it reads them.</summary>
    public required HttpLimits Limits { get; init; }

    public AccessLog? AccessLog { get; init; }

    public GatewayLimits VariableLimits { get; init; } = GatewayLimits.Default;

    public required ILogger Logger { get; init; }

    /// <summary>Time for a request's head (uwsgi vars, SCGI headers, FastCGI params) to arrive, from its first byte.</summary>
    public TimeSpan HeadTimeout => Limits.HeaderTimeout > TimeSpan.Zero ? Limits.HeaderTimeout : Timeout.InfiniteTimeSpan;

    /// <summary>How long a FastCGI connection kept open (FCGI_KEEP_CONN) may wait idle for its next request.</summary>
    public TimeSpan KeepAliveTimeout => Limits.KeepAliveTimeout > TimeSpan.Zero ? Limits.KeepAliveTimeout : TimeSpan.FromSeconds(1);

    /// <summary>The slowest a request body may come, after its grace period; null for no minimum.</summary>
    public (double BytesPerSecond, TimeSpan Grace)? MinBodyRate => Limits.MinRequestBodyBytesPerSecond > 0
        ? (Limits.MinRequestBodyBytesPerSecond, Limits.MinRequestBodyRateGrace)
        : null;
}
