using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// Serving across machines (issue 12, 6a): three PyHost app nodes, each in a network namespace of its own behind a
/// veth link (<see cref="NodeCluster"/>), and a PyHost balancer in front with active health checks on their
/// /_pyhost/ready, under wrk's load. A node killed with SIGKILL may fail only the requests in flight to it, and none
/// once it is marked down; a node stopped with SIGTERM fails none, because it answers its readiness check with 503
/// while it drains; a node started again rejoins. HAProxyClusterTests puts HAProxy in front of the same nodes.
/// </summary>
[Collection(LoadTestCollection.Name)]
public sealed class ClusterTests(ITestOutputHelper output)
{
    [RootFact("network namespaces and veth links are root's to make")]
    public async Task NodesDieDrainAndRejoinBehindAPyHostBalancer()
    {
        await using NodeCluster cluster = await NodeCluster.StartAsync(output);
        await using var balancer = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [upstream.nodes]
            servers = [{{string.Join(", ", Enumerable.Range(0, NodeCluster.Size).Select(node => $"\"{cluster.Url(node)}\""))}}]
            health_check = { path = "/_pyhost/ready", interval = "500ms", timeout = "400ms", healthy_threshold = 2, unhealthy_threshold = 1 }
            max_fails = 1
            fail_timeout = "2s"
            connect_timeout = "1s"

            [[site]]
              [[site.route]]
              proxy = "nodes"
            """);
        string url = $"http://127.0.0.1:{balancer.Ports[0]}";
        using HttpClient client = NodeCluster.ClientOf(url);
        // Every node up once its first checks passed (the balancer's own start may make the very first ones late).
        await NodeCluster.EchoRoundAsync(client, NodeCluster.Size);

        output.WriteLine(await cluster.KillUnderLoadAsync(0, url, balancer.Process,
            new Regex($"Upstream nodes: server {Regex.Escape(cluster.Url(0))} is down")));
        output.WriteLine(await cluster.DrainUnderLoadAsync(1, url, balancer.Process,
            new Regex($"Upstream nodes: server {Regex.Escape(cluster.Url(1))} is down after 1 failed health check: health check /_pyhost/ready answered 503")));
        // Node 0 comes back: two passed checks, and it takes requests again beside node 2.
        await cluster.RejoinAsync(0, url, balancer.Process,
            new Regex($"Upstream nodes: server {Regex.Escape(cluster.Url(0))} is up again"), serving: 2);
    }
}
