using PyHost.Http.Proxy;
using PyHost.Http.Proxy.Health;

namespace PyHost.Admin.Api;

/// <summary>A reverse proxy upstream in <c>GET /status</c>: its balancing policy, whether it checks its servers
/// actively, and each server's state.</summary>
public sealed record UpstreamStatus(string Name, string Policy, bool ActiveChecks, IReadOnlyList<UpstreamServerStatus> Servers)
{
    public static UpstreamStatus Of(Upstream upstream) => new(upstream.Name, PolicyName(upstream), upstream.Checker is not null,
        upstream.Status().Select(UpstreamServerStatus.Of).ToList());

    private static string PolicyName(Upstream upstream) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(upstream.Config.Policy.ToString());
}

/// <summary>
/// One server of an upstream: healthy or not and since when (marked down, up again, or since the configuration that
/// has it came into force), why it is down, the last failure seen even while it is up, the failed requests in a row
/// that count towards <c>max_fails</c>, and the requests in flight to it.
/// </summary>
public sealed record UpstreamServerStatus(string Address, bool Healthy, DateTimeOffset Since, string? Reason, string? LastFailure,
    DateTimeOffset? LastFailureAt, int FailedRequests, int InFlight)
{
    public static UpstreamServerStatus Of(ServerStatus server) => new(server.Server, server.Available, server.Since, server.Reason,
        server.LastFailure, server.LastFailureAt, server.FailedRequests, server.InFlight);
}
