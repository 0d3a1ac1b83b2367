using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Proxy.LoadBalancing;

/// <summary>A server at random, each with a chance in proportion to its weight (nginx's <c>random</c>).</summary>
public sealed class RandomPolicy(Random random) : ILoadBalancingPolicy
{
    public UpstreamServer Pick(HttpContext context, IReadOnlyList<UpstreamServer> available) =>
        LoadBalancingPolicies.WeightedRandom(available, random);
}
