using System.Diagnostics;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// Small "machines" inside the test machine: a network namespace each (iproute2), joined to this one by a veth pair
/// on a /30 of 198.19.0.0/16 (RFC 2544's benchmarking range, 198.18.0.0/15). Node i is at <see cref="NodeAddress"/>,
/// reached from here through <see cref="HostAddress"/>, its default route, as a machine's is to its router: so this
/// namespace's other addresses reach it too, as other machines would. Everything is deleted by <see cref="DisposeAsync"/>.
/// </summary>
public sealed class TestNetwork : IAsyncDisposable
{
    /// <summary>How long one ip command may take: a hung one fails the test instead of hanging the suite.</summary>
    private static readonly TimeSpan IpTimeout = TimeSpan.FromSeconds(30);

    private readonly List<string> _namespaces = new();
    private readonly List<string> _links = new();
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
        _links.Add(outside);
        await IpAsync("link", "set", inside, "netns", ns);
        await IpAsync("addr", "add", HostAddress(node) + "/30", "dev", outside);
        await IpAsync("link", "set", outside, "up");
        await IpAsync("-n", ns, "addr", "add", NodeAddress(node) + "/30", "dev", inside);
        await IpAsync("-n", ns, "link", "set", inside, "up");
        await IpAsync("-n", ns, "link", "set", "lo", "up");
        await IpAsync("-n", ns, "route", "add", "default", "via", HostAddress(node));
    }

    /// <summary>The command line that runs <paramref name="program"/> inside node <paramref name="node"/>'s namespace
    /// (ip netns exec execs it: the process is the program itself, signals reach it).</summary>
    public string[] InNode(int node, string program, params string[] arguments) => ["netns", "exec", _namespaces[node], program, .. arguments];

    /// <summary>Runs ip, fails the test if it fails or takes longer than <see cref="IpTimeout"/>; what it printed.</summary>
    private static async Task<string> IpAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/sbin/ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process ip = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(IpTimeout);
        try
        {
            Task<string> output = ip.StandardOutput.ReadToEndAsync(timeout.Token);
            string error = await ip.StandardError.ReadToEndAsync(timeout.Token);
            await ip.WaitForExitAsync(timeout.Token);
            Assert.True(ip.ExitCode == 0, $"ip {string.Join(" ", arguments)}: {error}");
            return await output;
        }
        catch (OperationCanceledException)
        {
            ip.Kill();
            throw new TimeoutException($"ip {string.Join(" ", arguments)} was still running after {IpTimeout.TotalSeconds} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (string ns in _namespaces)
        {
            try
            {
                // Whatever of this run is still inside (a worker its killed node left behind would keep the namespace,
                // and so the link, alive after it is deleted) goes first.
                foreach (string pid in (await IpAsync("netns", "pids", ns)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    try
                    {
                        Posix.SendSignal(int.Parse(pid), Posix.SigKill);
                    }
                    catch (InvalidOperationException)
                    {
                        // It ended on its own meanwhile.
                    }
                }
                await IpAsync("netns", "del", ns);
            }
            catch (Exception)
            {
                // Best effort: the next steps still delete the others.
            }
        }
        // Deleting a namespace deletes the veth end inside it, and so its peer out here, once nothing runs in it; the
        // link is deleted here too in case something still does.
        foreach (string link in _links)
        {
            try
            {
                await IpAsync("link", "del", link);
            }
            catch (Exception)
            {
                // Already gone with its namespace, as it should be.
            }
        }
    }
}
