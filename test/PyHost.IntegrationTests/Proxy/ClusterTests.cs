using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// Serving across machines (issue 12, 6a): three PyHost app nodes, each in a network namespace of its own behind a
/// veth link, and a PyHost balancer in front with active health checks on their /_pyhost/ready, under wrk's load.
/// A node killed with SIGKILL may fail only the requests in flight to it; a node stopped with SIGTERM fails none,
/// because it answers its readiness check with 503 while it drains; a node started again rejoins.
/// </summary>
[Collection(LoadTestCollection.Name)]
public sealed class ClusterTests(ITestOutputHelper output)
{
    private const int Connections = 8;

    [RootFact("network namespaces and veth links are root's to make")]
    public async Task NodesDieDrainAndRejoinBehindAPyHostBalancer()
    {
        await using TestNetwork network = await TestNetwork.CreateAsync(3);
        var directories = new List<string>();
        var nodes = new TestProcess?[3];
        try
        {
            for (int i = 0; i < 3; i++)
            {
                directories.Add(Directory.CreateTempSubdirectory("pyhost-node-").FullName);
                File.WriteAllText(Path.Combine(directories[i], "pyhost.toml"),
                    Pep3333Server.BackendToml($"{network.NodeAddress(i)}:8000", server: "drain_delay = \"3s\"", listen: "health_endpoints = true"));
            }
            await Task.WhenAll(Enumerable.Range(0, 3).Select(async i => nodes[i] = await StartNodeAsync(network, i, directories[i])));
            string[] servers = Enumerable.Range(0, 3).Select(i => $"http://{network.NodeAddress(i)}:8000").ToArray();
            await using var balancer = await ConfiguredServer.StartAsync(output, $$"""
                [[listen]]
                address = "127.0.0.1:{port0}"

                [upstream.nodes]
                servers = [{{string.Join(", ", servers.Select(server => $"\"{server}\""))}}]
                health_check = { path = "/_pyhost/ready", interval = "500ms", timeout = "400ms", healthy_threshold = 2, unhealthy_threshold = 1 }
                max_fails = 1
                fail_timeout = "2s"
                connect_timeout = "1s"

                [[site]]
                  [[site.route]]
                  proxy = "nodes"
                """);
            string url = $"http://127.0.0.1:{balancer.Ports[0]}/echo";
            // Every node up once its first checks passed (the balancer's own start may make the very first ones late).
            Assert.True(await ServedByAsync(balancer, 3), balancer.Process.Output);

            // SIGKILL: the node's connections die with it; only what was in flight to it may fail.
            Task<WrkReport> killLoad = Wrk.RunAsync(url, Connections, TimeSpan.FromSeconds(6));
            await Task.Delay(2000);
            Posix.SendSignal(nodes[0]!.Id, 9);
            WrkReport killed = await killLoad;
            output.WriteLine($"SIGKILL of node 0 under load: {killed}");
            Assert.True(killed.Failures <= Connections, $"more failed than were in flight: {killed}");
            Assert.Contains($"Upstream nodes: server {servers[0]} is down", balancer.Process.Output);
            WrkReport afterKill = await Wrk.RunAsync(url, Connections, TimeSpan.FromSeconds(2));
            Assert.True(afterKill.Failures == 0, $"failures after the node was marked down: {afterKill}");

            // SIGTERM: the node fails its readiness check while it still serves; the balancer stops sending first.
            Task<WrkReport> drainLoad = Wrk.RunAsync(url, Connections, TimeSpan.FromSeconds(7));
            await Task.Delay(2000);
            nodes[1]!.Terminate();
            WrkReport drained = await drainLoad;
            output.WriteLine($"SIGTERM of node 1 under load: {drained}");
            Assert.True(drained.Failures == 0, $"a draining node failed requests: {drained}");
            Assert.Equal(0, await nodes[1]!.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains($"Upstream nodes: server {servers[1]} is down after 1 failed health check: health check /_pyhost/ready answered 503", balancer.Process.Output);

            // Node 0 comes back: two passed checks, and it takes requests again.
            await nodes[0]!.DisposeAsync();
            nodes[0] = await StartNodeAsync(network, 0, directories[0]);
            Assert.True(await Eventually.HoldsAsync(() => balancer.Process.Output.Contains($"Upstream nodes: server {servers[0]} is up again"), TimeSpan.FromSeconds(20)),
                balancer.Process.Output);
            int comeback = await NodePidAsync(nodes[0]!);
            Assert.True(await ServedByAsync(balancer, 2, comeback), balancer.Process.Output);
        }
        finally
        {
            foreach (TestProcess? node in nodes)
            {
                if (node is not null)
                {
                    output.WriteLine(node.Describe());
                    await node.DisposeAsync();
                }
            }
            directories.ForEach(directory => Directory.Delete(directory, recursive: true));
        }
    }

    private static async Task<TestProcess> StartNodeAsync(TestNetwork network, int node, string directory)
    {
        TestProcess process = TestProcess.Start("/usr/sbin/ip", network.InNode(node, Repository.PyHostExecutable, "serve"), directory, ConfiguredServer.DebianPython);
        await process.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);
        return process;
    }

    /// <summary>The worker pid of a node, from its log ("Booted worker 1 (pid N)").</summary>
    private static async Task<int> NodePidAsync(TestProcess node)
    {
        Match booted = await node.WaitForOutputAsync(new Regex(@"Booted worker \d+ \(pid (\d+)\)"), TestProcess.StartTimeout);
        return int.Parse(booted.Groups[1].Value);
    }

    /// <summary>Whether, within 30 s, a round of requests through the balancer reaches <paramref name="count"/> workers
    /// (and <paramref name="including"/> among them).</summary>
    private static Task<bool> ServedByAsync(ConfiguredServer balancer, int count, int? including = null) =>
        Eventually.HoldsAsync(async () =>
        {
            var pids = new HashSet<int>();
            for (int i = 0; i < 3 * count; i++)
            {
                RawHttpResponse echo = await balancer.RequestAsync("site.test", "/echo");
                if (echo.StatusCode != 200)
                {
                    return false;
                }
                pids.Add(echo.Json().GetProperty("pid").GetInt32());
            }
            return pids.Count == count && (including is null || pids.Contains(including.Value));
        }, TimeSpan.FromSeconds(30));
}
