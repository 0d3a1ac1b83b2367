using System.Diagnostics;
using Xunit;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// Small "machines" inside the test machine: a network namespace each (iproute2), joined to this one by a veth pair
/// on a /30 of 198.19.0.0/16 (RFC 2544's benchmarking range, 198.18.0.0/15). Node i is at <see cref="NodeAddress"/>,
/// reached from here through <see cref="HostAddress"/>. Everything is deleted by <see cref="DisposeAsync"/>.
/// </summary>
public sealed class TestNetwork : IAsyncDisposable
{
    private readonly List<string> _namespaces = new();
    private readonly int _subnet;
    private readonly string _tag;

    private TestNetwork()
    {
        // A third octet and names of this run's own, so concurrent runs on one machine do not meet.
        _subnet = Environment.ProcessId % 250 + 1;
        _tag = (Environment.ProcessId % 0xFFFF).ToString("x4");
    }

    public IReadOnlyList<string> Namespaces => _namespaces;

    public string NodeAddress(int node) => $"198.19.{_subnet}.{4 * node + 2}";

    public string HostAddress(int node) => $"198.19.{_subnet}.{4 * node + 1}";

    public static async Task<TestNetwork> CreateAsync(int nodes)
    {
        var network = new TestNetwork();
        try
        {
            for (int node = 0; node < nodes; node++)
            {
                await network.AddNodeAsync(node);
            }
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    private async Task AddNodeAsync(int node)
    {
        string ns = $"pyhost-{_tag}-{node}";
        string outside = $"ph{_tag}h{node}", inside = $"ph{_tag}n{node}";   // interface names: 15 characters at most
        await IpAsync("netns", "add", ns);
        _namespaces.Add(ns);
        await IpAsync("link", "add", outside, "type", "veth", "peer", "name", inside);
        await IpAsync("link", "set", inside, "netns", ns);
        await IpAsync("addr", "add", HostAddress(node) + "/30", "dev", outside);
        await IpAsync("link", "set", outside, "up");
        await IpAsync("-n", ns, "addr", "add", NodeAddress(node) + "/30", "dev", inside);
        await IpAsync("-n", ns, "link", "set", inside, "up");
        await IpAsync("-n", ns, "link", "set", "lo", "up");
    }

    /// <summary>The command line that runs <paramref name="program"/> inside node <paramref name="node"/>'s namespace
    /// (ip netns exec execs it: the process is the program itself, signals reach it).</summary>
    public string[] InNode(int node, string program, params string[] arguments) => ["netns", "exec", _namespaces[node], program, .. arguments];

    public static async Task IpAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/sbin/ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process ip = Process.Start(start)!;
        string error = await ip.StandardError.ReadToEndAsync();
        await ip.WaitForExitAsync();
        Assert.True(ip.ExitCode == 0, $"ip {string.Join(" ", arguments)}: {error}");
    }

    public async ValueTask DisposeAsync()
    {
        // Deleting a namespace deletes the veth end inside it, and so its peer out here.
        foreach (string ns in _namespaces)
        {
            try
            {
                await IpAsync("netns", "del", ns);
            }
            catch (Exception)
            {
                // Best effort: the next step still deletes the others.
            }
        }
    }
}
