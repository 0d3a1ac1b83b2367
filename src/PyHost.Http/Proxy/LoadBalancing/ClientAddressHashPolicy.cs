using Microsoft.AspNetCore.Http;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Proxy.LoadBalancing;

/// <summary>
/// The same client address always to the same server, by rendezvous (highest random weight) hashing: each server
/// scores the address, the highest score wins, and weights scale the scores (-w / ln u). When a server goes down only
/// its own clients move, and they come back when it returns (nginx's <c>hash $remote_addr consistent</c>). The
/// address is the client's after the trusted-proxy rules, not the nearest proxy's.
/// </summary>
public sealed class ClientAddressHashPolicy : ILoadBalancingPolicy
{
    public UpstreamServer Pick(HttpContext context, IReadOnlyList<UpstreamServer> available)
    {
        string client = RequestOriginFeature.Get(context).RemoteAddress;
        ulong clientHash = Fnv1a(client, 14695981039346656037UL);
        UpstreamServer best = available[0];
        double bestScore = double.NegativeInfinity;
        foreach (UpstreamServer server in available)
        {
            // A uniform number in (0, 1) from the pair, then the weighted score.
            ulong mixed = Mix(Fnv1a(server.Id, clientHash));
            double uniform = ((mixed >> 11) + 0.5) / (1UL << 53);
            double score = -server.Weight / Math.Log(uniform);
            if (score > bestScore)
            {
                best = server;
                bestScore = score;
            }
        }
        return best;
    }

    private static ulong Fnv1a(string text, ulong hash)
    {
        foreach (char c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return hash;
    }

    /// <summary>SplitMix64's finalizer: every input bit moves every output bit.</summary>
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }
}
