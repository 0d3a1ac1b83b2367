using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Proxy.LoadBalancing;

/// <summary>
/// The server with the fewest requests in flight per unit of weight (nginx's <c>least_conn</c>). Ties go round in
/// turn, so an idle upstream does not send everything to its first server.
/// </summary>
public sealed class LeastRequestsPolicy : ILoadBalancingPolicy
{
    private uint _turn;

    public UpstreamServer Pick(HttpContext context, IReadOnlyList<UpstreamServer> available)
    {
        int count = available.Count;
        int start = (int)(Interlocked.Increment(ref _turn) % (uint)count);
        UpstreamServer best = available[start];
        double bestLoad = best.Load;
        for (int i = 1; i < count; i++)
        {
            UpstreamServer server = available[(start + i) % count];
            double load = server.Load;
            if (load < bestLoad)
            {
                best = server;
                bestLoad = load;
            }
        }
        return best;
    }
}
