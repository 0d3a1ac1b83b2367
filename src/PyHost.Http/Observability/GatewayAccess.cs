namespace PyHost.Http.Observability;

/// <summary>What the access log says about a request that came from a web server in front (uwsgi, FastCGI, SCGI,
/// Mongrel2): the client, user, target and headers as that server passed them.</summary>
public sealed record GatewayAccess(
    string? RemoteAddress,
    string? User,
    string Method,
    string Target,
    string Protocol,
    int Status,
    long BodyBytes,
    string? Referer,
    string? UserAgent,
    DateTimeOffset? StartTime = null,
    TimeSpan Duration = default,
    string? Site = null,
    string? App = null,
    int WorkerId = 0);
