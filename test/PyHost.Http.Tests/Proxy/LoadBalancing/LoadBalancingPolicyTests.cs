using System.Net;
using Microsoft.AspNetCore.Http;
using PyHost.Configuration.Model;
using PyHost.Http.Forwarding;
using PyHost.Http.Proxy;
using PyHost.Http.Proxy.Health;
using PyHost.Http.Proxy.LoadBalancing;

namespace PyHost.Http.Tests.Proxy.LoadBalancing;

public sealed class LoadBalancingPolicyTests
{
    private sealed class NoEvents : IHealthObserver
    {
        public void ServerDown(ServerHealth server, string reason, string how)
        {
        }

        public void ServerUp(ServerHealth server, TimeSpan downFor, string how)
        {
        }
    }

    private static UpstreamServer Server(string name, int weight = 1)
    {
        Assert.True(UpstreamAddress.TryParse($"http://{name}:8000", "/", out UpstreamAddress? address, out _));
        return new UpstreamServer(new UpstreamServerConfig { Address = address, Weight = weight }, 0,
            new HttpMessageInvoker(new SocketsHttpHandler()), new ServerHealth(name, 1, 1, 0, TimeSpan.Zero, TimeProvider.System, new NoEvents()));
    }

    private static HttpContext Request(string client = "192.0.2.1", string? cookie = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(client);
        if (cookie is not null)
        {
            context.Request.Headers.Cookie = cookie;
        }
        RequestOriginFeature.Attach(context, TrustedProxies.None, PyHost.Configuration.Model.ForwardedHeaderStyle.None);
        return context;
    }

    private static string Names(ILoadBalancingPolicy policy, IReadOnlyList<UpstreamServer> servers, int picks) =>
        string.Concat(Enumerable.Range(0, picks).Select(_ => policy.Pick(Request(), servers).ToString()[7..8]));

    [Fact]
    public void RoundRobinSpreadsWeightedTurnsSmoothlyAsNginxDoes()
    {
        UpstreamServer[] servers = [Server("a", 5), Server("b"), Server("c")];
        // nginx's smooth weighted round robin on 5, 1, 1.
        Assert.Equal("aabacaa" + "aabacaa", Names(new RoundRobinPolicy(servers), servers, 14));
        UpstreamServer[] even = [Server("a"), Server("b"), Server("c")];
        Assert.Equal("abcabc", Names(new RoundRobinPolicy(even), even, 6));
    }

    [Fact]
    public void RoundRobinSkipsAServerThatIsDownWithoutUpsettingTheOthersTurns()
    {
        UpstreamServer[] servers = [Server("a"), Server("b"), Server("c")];
        var policy = new RoundRobinPolicy(servers);
        Assert.Equal("ab", Names(policy, servers, 2));
        UpstreamServer[] withoutC = [servers[0], servers[1]];
        Assert.Equal("abab", Names(policy, withoutC, 4));
    }

    [Fact]
    public void LeastRequestsTakesTheFewestInFlightPerWeightAndSharesTies()
    {
        UpstreamServer a = Server("a"), b = Server("b", 2), c = Server("c");
        UpstreamServer[] servers = [a, b, c];
        a.RequestStarted();
        b.RequestStarted();
        b.RequestStarted();
        c.RequestStarted();
        c.RequestStarted();
        var policy = new LeastRequestsPolicy();
        // a: 1/1, b: 2/2, c: 2/1 → a and b tie at 1; turns alternate between them.
        Assert.Equal("ab", string.Concat(Names(policy, servers, 4).Distinct().Order()));
        a.RequestStarted();
        Assert.Equal("bbbb", Names(policy, servers, 4));
    }

    [Fact]
    public void PowerOfTwoChoicesNeverPicksTheBusiestOfThree()
    {
        UpstreamServer a = Server("a"), b = Server("b"), c = Server("c");
        for (int i = 0; i < 10; i++)
        {
            c.RequestStarted();
        }
        b.RequestStarted();
        var policy = new PowerOfTwoChoicesPolicy(new Random(7));
        string picks = Names(policy, [a, b, c], 300);
        Assert.DoesNotContain('c', picks);
        Assert.Contains('a', picks);
        Assert.Contains('b', picks);   // when the two drawn are b and c
    }

    [Fact]
    public void RandomFollowsTheWeights()
    {
        UpstreamServer[] servers = [Server("a", 3), Server("b")];
        string picks = Names(new RandomPolicy(new Random(11)), servers, 4000);
        double share = picks.Count(name => name == 'a') / 4000.0;
        Assert.InRange(share, 0.70, 0.80);
    }

    [Fact]
    public void ClientAddressHashKeepsAClientOnItsServerAndMovesOnlyTheClientsOfOneThatLeaves()
    {
        UpstreamServer[] servers = [Server("a"), Server("b"), Server("c"), Server("d")];
        var policy = new ClientAddressHashPolicy();
        string[] clients = Enumerable.Range(0, 400).Select(i => $"198.51.{i / 250}.{i % 250}").ToArray();
        Dictionary<string, UpstreamServer> before = clients.ToDictionary(client => client, client => policy.Pick(Request(client), servers));

        Assert.All(clients, client => Assert.Same(before[client], policy.Pick(Request(client), servers)));
        Assert.All(servers, server => Assert.InRange(before.Values.Count(chosen => chosen == server), 60, 140));

        UpstreamServer[] withoutB = [servers[0], servers[2], servers[3]];
        foreach (string client in clients)
        {
            UpstreamServer now = policy.Pick(Request(client), withoutB);
            if (before[client] != servers[1])
            {
                Assert.Same(before[client], now);
            }
        }
    }

    [Fact]
    public void TheCookieSticksAClientToItsServerAndIsSetWhenMissingOrStale()
    {
        UpstreamServer[] servers = [Server("a"), Server("b"), Server("c")];
        var policy = new CookiePolicy("pyhost_upstream", new RoundRobinPolicy(servers));

        HttpContext first = Request();
        UpstreamServer chosen = policy.Pick(first, servers);
        policy.Chosen(first, chosen);
        string setCookie = first.Response.Headers.SetCookie.ToString();
        Assert.Equal($"pyhost_upstream={chosen.Id}; Path=/; HttpOnly; SameSite=Lax", setCookie);

        for (int i = 0; i < 5; i++)
        {
            HttpContext again = Request(cookie: $"pyhost_upstream={chosen.Id}");
            Assert.Same(chosen, policy.Pick(again, servers));
            policy.Chosen(again, chosen);
            Assert.Empty(again.Response.Headers.SetCookie.ToString());
        }

        UpstreamServer[] withoutChosen = servers.Where(server => server != chosen).ToArray();
        HttpContext moved = Request(cookie: $"pyhost_upstream={chosen.Id}");
        UpstreamServer other = policy.Pick(moved, withoutChosen);
        policy.Chosen(moved, other);
        Assert.NotSame(chosen, other);
        Assert.Contains($"pyhost_upstream={other.Id}", moved.Response.Headers.SetCookie.ToString());
    }

    [Fact]
    public void AServersIdIsTheSameInEveryBalancerAndSaysNothingOfItsAddress()
    {
        Assert.Equal(Server("a").Id, Server("a").Id);
        Assert.NotEqual(Server("a").Id, Server("b").Id);
        Assert.Matches("^[0-9a-f]{16}$", Server("a").Id);
    }
}
