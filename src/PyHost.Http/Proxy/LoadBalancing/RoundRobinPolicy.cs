using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Proxy.LoadBalancing;

/// <summary>
/// nginx's smooth weighted round robin: each pick adds every available server's weight to its score, takes the
/// highest, and takes the total off the chosen one. Weights 5, 1, 1 give a a b a c a a, not a a a a a b c. A server
/// that is down is skipped without disturbing the others' turns.
/// </summary>
public sealed class RoundRobinPolicy(IReadOnlyList<UpstreamServer> servers) : ILoadBalancingPolicy
{
    private readonly Dictionary<UpstreamServer, int> _score = servers.ToDictionary(server => server, _ => 0);
    private readonly Lock _lock = new();

    public UpstreamServer Pick(HttpContext context, IReadOnlyList<UpstreamServer> available)
    {
        if (available.Count == 1)
        {
            return available[0];
        }
        lock (_lock)
        {
            UpstreamServer best = available[0];
            int total = 0;
            int bestScore = int.MinValue;
            foreach (UpstreamServer server in available)
            {
                int score = _score[server] + server.Weight;
                _score[server] = score;
                total += server.Weight;
                if (score > bestScore)
                {
                    best = server;
                    bestScore = score;
                }
            }
            _score[best] = bestScore - total;
            return best;
        }
    }
}
