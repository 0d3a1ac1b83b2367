using System.Net;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// Three PyHost nodes behind Debian's HAProxy as an operator would put them (issue 12, 6b): <c>send-proxy-v2</c> to
/// listeners with <c>proxy_protocol = "v2"</c>, and <c>option httpchk</c> against each node's /_pyhost/ready. The
/// apps see the client HAProxy saw; a node stopped with SIGTERM fails its readiness check while it drains, HAProxy
/// takes it out, and not one request fails.
/// </summary>
[Collection(LoadTestCollection.Name)]   // their "no request failed" runs want the CPU to themselves
public sealed class HAProxyBalancerTests(ITestOutputHelper output)
{
    private static readonly IPAddress Client = IPAddress.Parse("127.0.0.2");   // not HAProxy's own address: the PROXY header must carry it

    [Fact]
    public async Task NodesBehindHAProxySeeTheClientAndADrainingNodeLeavesWithoutAFailedRequest()
    {
        ConfiguredServer[] nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Pep3333Server.StartBackendAsync(output, server: "drain_delay = \"3s\"", listen: "proxy_protocol = \"v2\"")));
        await using ConfiguredServer first = nodes[0], second = nodes[1], third = nodes[2];
        string directory = Directory.CreateTempSubdirectory("pyhost-haproxy-").FullName;
        int port = PyHostServer.FreePort(IPAddress.Loopback);
        string servers = string.Join("\n", nodes.Select((node, i) =>
            $"    server node{i} 127.0.0.1:{node.Ports[0]} send-proxy-v2 check check-send-proxy inter 300ms fall 1 rise 2"));
        File.WriteAllText(Path.Combine(directory, "haproxy.cfg"), $"""
            global
                maxconn 256
            defaults
                mode http
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend clients
                bind 127.0.0.1:{port}
                default_backend pyhost
            backend pyhost
                balance roundrobin
                option httpchk GET /_pyhost/ready
                http-check expect status 200
            {servers}

            """);
        await using TestProcess haproxy = TestProcess.Start("/usr/sbin/haproxy", ["-db", "-f", Path.Combine(directory, "haproxy.cfg")], directory);
        try
        {
            using var client = ClientFrom(Client, port);
            // Every node up (its first checks passed) and serving, each seeing the client, not HAProxy.
            var pids = new HashSet<int>();
            Assert.True(await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    using HttpResponseMessage response = await client.GetAsync("/echo");
                    string text = await response.Content.ReadAsStringAsync();
                    if (!response.IsSuccessStatusCode)
                    {
                        return false;
                    }
                    var echo = System.Text.Json.JsonDocument.Parse(text).RootElement;
                    Assert.Equal("127.0.0.2", echo.GetProperty("environ").GetProperty("REMOTE_ADDR").GetString());
                    pids.Add(echo.GetProperty("pid").GetInt32());
                }
                catch (HttpRequestException)
                {
                }
                return pids.Count == 3;
            }, TimeSpan.FromSeconds(20)), $"nodes seen: {pids.Count}\n{haproxy.Output}");

            var load = Task.Run(() => ClientLoad.RunAsync(client, "/echo", TimeSpan.FromSeconds(8)));
            await Task.Delay(1500);
            first.Process.Terminate();
            var (served, failed) = await load;

            Assert.True(failed.Count == 0, $"{failed.Count} failed of {served + failed.Count}: {string.Join("; ", failed.Take(10))}\n{haproxy.Output}");
            Assert.True(served > 20, $"only {served} requests were served");
            Assert.Equal(0, await first.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("node0 is DOWN", haproxy.Output);
            output.WriteLine($"{served} requests through HAProxy while node0 drained and stopped, none failed");
        }
        finally
        {
            output.WriteLine(haproxy.Describe());
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>An HTTP client whose connections come from <paramref name="local"/>.</summary>
    private static HttpClient ClientFrom(IPAddress local, int port) =>
        new(new SocketsHttpHandler { ConnectCallback = ClientLoad.ConnectFrom(local) }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };
}
