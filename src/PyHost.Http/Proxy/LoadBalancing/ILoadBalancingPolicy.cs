using Microsoft.AspNetCore.Http;
using PyHost.Configuration.Model;

namespace PyHost.Http.Proxy.LoadBalancing;

/// <summary>
/// Picks the server for a request among the available ones (healthy, and not yet tried by this request). Every
/// policy weighs servers by their weight. Randomness comes in from outside, so tests repeat.
/// </summary>
public interface ILoadBalancingPolicy
{
    /// <param name="available">At least one server.</param>
    UpstreamServer Pick(HttpContext context, IReadOnlyList<UpstreamServer> available);

    /// <summary>Called with the server whose response the client gets, to make the choice stick (a cookie).</summary>
    void Chosen(HttpContext context, UpstreamServer server)
    {
    }
}

public static class LoadBalancingPolicies
{
    public static ILoadBalancingPolicy Create(UpstreamConfig upstream, IReadOnlyList<UpstreamServer> servers, Random random) => upstream.Policy switch
    {
        LoadBalancingPolicy.RoundRobin => new RoundRobinPolicy(servers),
        LoadBalancingPolicy.LeastRequests => new LeastRequestsPolicy(),
        LoadBalancingPolicy.PowerOfTwoChoices => new PowerOfTwoChoicesPolicy(random),
        LoadBalancingPolicy.Random => new RandomPolicy(random),
        LoadBalancingPolicy.Cookie => new CookiePolicy(upstream.StickyCookie ?? UpstreamConfig.DefaultStickyCookie, new RoundRobinPolicy(servers)),
        LoadBalancingPolicy.ClientAddressHash => new ClientAddressHashPolicy(),
        _ => throw new ArgumentOutOfRangeException(nameof(upstream)),
    };

    /// <summary>A server at random, each with a chance in proportion to its weight.</summary>
    internal static UpstreamServer WeightedRandom(IReadOnlyList<UpstreamServer> available, Random random, UpstreamServer? except = null)
    {
        int total = 0;
        foreach (UpstreamServer server in available)
        {
            total += server == except ? 0 : server.Weight;
        }
        int ticket;
        lock (random)
        {
            ticket = random.Next(total);
        }
        foreach (UpstreamServer server in available)
        {
            if (server == except)
            {
                continue;
            }
            ticket -= server.Weight;
            if (ticket < 0)
            {
                return server;
            }
        }
        return available[^1];
    }
}
