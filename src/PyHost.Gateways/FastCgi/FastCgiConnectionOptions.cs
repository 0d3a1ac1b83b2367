namespace PyHost.Gateways.FastCgi;

public sealed record FastCgiConnectionOptions
{
    /// <summary>Requests one connection may carry at once. 1 (the default, and what nginx and Apache use) answers
    /// a second FCGI_BEGIN_REQUEST with FCGI_CANT_MPX_CONN; more multiplexes requests by id (§3.3).</summary>
    public int MaxConcurrentRequests { get; init; } = 1;

    /// <summary>What FCGI_GET_VALUES reports as FCGI_MAX_CONNS: the connections the listener accepts.</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>What FCGI_GET_VALUES reports as FCGI_MAX_REQS: the requests the application accepts at once.</summary>
    public int MaxRequests { get; init; } = 1024;

    public GatewayLimits Limits { get; init; } = GatewayLimits.Default;
}
