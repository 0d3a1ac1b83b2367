using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Proxy.LoadBalancing;

/// <summary>
/// Two servers at random (by weight), the one with fewer requests in flight per weight (Mitzenmacher's "power of two
/// choices"; nginx's <c>random two least_conn</c>): nearly as even as least-requests, without every balancer of a
/// fleet rushing to the same idle server.
/// </summary>
public sealed class PowerOfTwoChoicesPolicy(Random random) : ILoadBalancingPolicy
{
    public UpstreamServer Pick(HttpContext context, IReadOnlyList<UpstreamServer> available)
    {
        if (available.Count == 1)
        {
            return available[0];
        }
        UpstreamServer first = LoadBalancingPolicies.WeightedRandom(available, random);
        UpstreamServer second = LoadBalancingPolicies.WeightedRandom(available, random, except: first);
        return second.Load < first.Load ? second : first;
    }
}
