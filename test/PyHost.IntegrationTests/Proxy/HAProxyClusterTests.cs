using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// Serving across machines (issue 12, 6b): the three namespaced nodes of ClusterTests behind Debian's HAProxy as an
/// operator would put them there: <c>send-proxy-v2</c> to listeners with <c>proxy_protocol = "v2"</c> that believe
/// it from the balancer's address only, and <c>option httpchk</c> against each node's /_pyhost/ready. The apps see
/// the client HAProxy saw; under wrk's load, a node killed with SIGKILL fails only what was in flight to it and
/// nothing once HAProxy marks it down, a node stopped with SIGTERM fails nothing, and a node started again rejoins.
/// </summary>
[Collection(LoadTestCollection.Name)]
public sealed class HAProxyClusterTests(ITestOutputHelper output)
{
    [RootFact("network namespaces and veth links are root's to make")]
    public async Task NodesBehindHAProxySeeTheClientAndDieDrainAndRejoin()
    {
        await using NodeCluster cluster = await NodeCluster.StartAsync(output, proxyProtocol: true);
        // Checks every 300 ms, one failed check or refused connection takes a node out, two passed ones put it back;
        // a connection refused is tried again on another node (redispatch), as it is safe to.
        string servers = string.Join("\n", Enumerable.Range(0, NodeCluster.Size).Select(node => $"    server node{node} {cluster.Address(node)}"));
        await using ReverseProxy haproxy = await ReverseProxy.StartHAProxyAsync(port => $"""
            global
                maxconn 256
            defaults
                mode http
                timeout connect 1s
                timeout client 30s
                timeout server 30s
                timeout check 2s
                retries 3
                option redispatch 1
            frontend clients
                bind 127.0.0.1:{port}
                default_backend nodes
            backend nodes
                balance roundrobin
                option httpchk GET /_pyhost/ready
                http-check expect status 200
                default-server send-proxy-v2 check check-send-proxy inter 300ms fall 1 rise 2 observe layer4 error-limit 1 on-error mark-down
            {servers}
            """);
        try
        {
            string url = $"http://{haproxy.Authority}";
            using HttpClient client = NodeCluster.ClientOf(url);
            // Every node up and serving, each seeing the client, not HAProxy.
            AssertSeeTheClient(await NodeCluster.EchoRoundAsync(client, NodeCluster.Size));
            await AssertOnlyTheBalancerIsBelievedAsync(cluster);

            output.WriteLine(await cluster.KillUnderLoadAsync(0, url, haproxy.Process, new Regex("Server nodes/node0 is DOWN")));
            output.WriteLine(await cluster.DrainUnderLoadAsync(1, url, haproxy.Process,
                new Regex("Server nodes/node1 is DOWN, reason: Layer7 wrong status, code: 503")));
            AssertSeeTheClient(await cluster.RejoinAsync(0, url, haproxy.Process, new Regex("Server nodes/node0 is UP"), serving: 2));
        }
        finally
        {
            output.WriteLine(haproxy.Process.Describe());
        }
    }

    private static void AssertSeeTheClient(IEnumerable<JsonElement> echoes) =>
        Assert.All(echoes, echo => Assert.Equal(NodeCluster.Client.ToString(), echo.GetProperty("environ").GetProperty("REMOTE_ADDR").GetString()));

    /// <summary>Another machine on the network (node 1's link) sending node 0 a PROXY header is not believed: the
    /// connection is closed without an answer.</summary>
    private static async Task AssertOnlyTheBalancerIsBelievedAsync(NodeCluster cluster)
    {
        int fromLine = cluster.Node(0).LineCount;
        var node = IPEndPoint.Parse(cluster.Address(0));
        await using (var forged = await RawHttpConnection.OpenAsync(node, IPAddress.Parse(cluster.BalancerAddress(1))))
        {
            byte[] header = ProxyProtocolHeader.V2Tcp4(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 4711), node);
            await forged.SendAsync(header.Concat(Encoding.ASCII.GetBytes("GET /echo HTTP/1.1\r\nHost: node\r\n\r\n")).ToArray());
            Assert.Null(await forged.ReadResponseOrNullAsync());
        }
        await cluster.Node(0).WaitForOutputAsync(new Regex(
            $@"PROXY protocol: closed the connection from {Regex.Escape(cluster.BalancerAddress(1))}:\d+: only a peer in --forwarded-allow-ips \({Regex.Escape(cluster.BalancerAddress(0))}\)"),
            TimeSpan.FromSeconds(10), fromLine);
    }
}
