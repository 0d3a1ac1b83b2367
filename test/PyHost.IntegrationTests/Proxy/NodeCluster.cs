using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// Three PyHost app nodes for a balancer to stand in front of (issue 12, 6): each in a network namespace of its own on a
/// <see cref="TestNetwork"/>, serving apps/pep3333.py (one worker) on <see cref="Port"/> of its address, with the
/// health endpoints on and a 3 s drain delay. DisposeAsync stops them, writes their logs out and deletes the network.
/// What the balancer's clients see while a node dies, drains or comes back is in NodeCluster.UnderLoad.cs.
/// </summary>
public sealed partial class NodeCluster : IAsyncDisposable
{
    public const int Size = 3;
    public const int Port = 8000;

    /// <summary>Where the tests' own requests come from: not the balancer's address, so a node that names it as the
    /// client learnt it from the balancer.</summary>
    public static readonly IPAddress Client = IPAddress.Parse("127.0.0.2");

    private readonly ITestOutputHelper _output;
    private readonly TestNetwork _network;
    private readonly string[] _directories = new string[Size];
    private readonly TestProcess?[] _nodes = new TestProcess?[Size];

    private NodeCluster(ITestOutputHelper output, TestNetwork network)
    {
        _output = output;
        _network = network;
    }

    /// <summary>
    /// Starts the nodes. With <paramref name="proxyProtocol"/>, each expects a PROXY v2 header before every connection
    /// and believes it from its <see cref="BalancerAddress"/> only (HAProxy's <c>send-proxy-v2</c>).
    /// </summary>
    public static async Task<NodeCluster> StartAsync(ITestOutputHelper output, bool proxyProtocol = false)
    {
        var cluster = new NodeCluster(output, await TestNetwork.CreateAsync(Size));
        try
        {
            for (int node = 0; node < Size; node++)
            {
                cluster._directories[node] = Directory.CreateTempSubdirectory("pyhost-node-").FullName;
                string server = "drain_delay = \"3s\"", listen = "health_endpoints = true";
                if (proxyProtocol)
                {
                    server += $"\nforwarded_allow_ips = [\"{cluster.BalancerAddress(node)}\"]";
                    listen += "\nproxy_protocol = \"v2\"";
                }
                File.WriteAllText(Path.Combine(cluster._directories[node], "pyhost.toml"),
                    Pep3333Server.BackendToml(cluster.Address(node), server: server, listen: listen));
            }
            await Task.WhenAll(Enumerable.Range(0, Size).Select(cluster.StartNodeAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Node <paramref name="node"/>'s address and port, as a balancer's server line names it.</summary>
    public string Address(int node) => $"{_network.NodeAddress(node)}:{Port}";

    public string Url(int node) => $"http://{Address(node)}";

    /// <summary>The address a balancer in this namespace reaches node <paramref name="node"/> from (its end of the link).</summary>
    public string BalancerAddress(int node) => _network.HostAddress(node);

    public TestProcess Node(int node) => _nodes[node] ?? throw new InvalidOperationException($"Node {node} is not running.");

    /// <summary>Starts node <paramref name="node"/> again, with its configuration, after it ended.</summary>
    public async Task RestartAsync(int node)
    {
        await StopNodeAsync(node);
        await StartNodeAsync(node);
    }

    /// <summary>The pid of node <paramref name="node"/>'s worker, from its log ("Booted worker 1 (pid N)").</summary>
    public async Task<int> WorkerPidAsync(int node)
    {
        Match booted = await Node(node).WaitForOutputAsync(new Regex(@"Booted worker \d+ \(pid (\d+)\)"), TestProcess.StartTimeout);
        return int.Parse(booted.Groups[1].Value);
    }

    /// <summary>An HTTP client of the balancer at <paramref name="url"/>, connecting from <see cref="Client"/>.</summary>
    public static HttpClient ClientOf(string url) =>
        new(new SocketsHttpHandler { ConnectCallback = ClientLoad.ConnectFrom(Client) }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>
    /// The echoes of the first round of requests through the balancer that reached <paramref name="workers"/> workers
    /// (and <paramref name="including"/> among them) and nothing else, within 30 s; fails the test otherwise.
    /// </summary>
    public static async Task<IReadOnlyList<JsonElement>> EchoRoundAsync(HttpClient balancer, int workers, int? including = null)
    {
        var round = new List<JsonElement>();
        string last = "no round finished";
        bool reached = await Eventually.HoldsAsync(async () =>
        {
            round.Clear();
            for (int i = 0; i < 3 * workers; i++)
            {
                try
                {
                    using HttpResponseMessage response = await balancer.GetAsync("/echo");
                    string body = await response.Content.ReadAsStringAsync();
                    if (!response.IsSuccessStatusCode)
                    {
                        last = $"{(int)response.StatusCode}: {body}";
                        return false;
                    }
                    using JsonDocument echo = JsonDocument.Parse(body);
                    round.Add(echo.RootElement.Clone());
                }
                catch (HttpRequestException ex)
                {
                    last = ex.Message;
                    return false;
                }
            }
            HashSet<int> pids = round.Select(echo => echo.GetProperty("pid").GetInt32()).ToHashSet();
            last = $"workers {string.Join(", ", pids)}";
            return pids.Count == workers && (including is null || pids.Contains(including.Value));
        }, TimeSpan.FromSeconds(30));
        Assert.True(reached, $"no round of requests reached {workers} workers{(including is null ? "" : $" with {including}")}; last: {last}");
        return round;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            for (int node = 0; node < Size; node++)
            {
                await StopNodeAsync(node);
            }
        }
        finally
        {
            await _network.DisposeAsync();
            foreach (string? directory in _directories)
            {
                if (directory is not null)
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }
    }

    private async Task StartNodeAsync(int node)
    {
        TestProcess process = TestProcess.Start("/usr/sbin/ip", _network.InNode(node, Repository.PyHostExecutable, "serve"), _directories[node], ConfiguredServer.DebianPython);
        _nodes[node] = process;
        await process.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);
    }

    private async Task StopNodeAsync(int node)
    {
        if (_nodes[node] is { } process)
        {
            _nodes[node] = null;
            await process.DisposeAsync();
            _output.WriteLine($"node {node}: {process.Describe()}");
        }
    }
}
