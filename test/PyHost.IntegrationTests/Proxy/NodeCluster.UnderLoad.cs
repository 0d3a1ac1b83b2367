using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// What the clients of a balancer in front of the cluster see while a node dies, drains or comes back: wrk's load, and
/// beside it a <see cref="RequestTimeline"/> of the tests' own requests, which tells when each failure was sent. The
/// balancer is named by its URL, its log, and the line it prints when it takes the node out or puts it back.
/// </summary>
public sealed partial class NodeCluster
{
    /// <summary>wrk's connections: at most this many of its requests are in flight, to all nodes together.</summary>
    public const int Connections = 8;

    /// <summary>The timeline's clients, one request in flight each.</summary>
    private const int TimelineClients = 2;

    /// <summary>A bound on any one wait of these phases on a loaded two-core machine (not a speed target).</summary>
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// SIGKILL of node <paramref name="node"/> under load. Its connections die with it: what was in flight on them may
    /// fail, nothing before the kill, and nothing sent once the balancer printed <paramref name="markedDown"/> (the
    /// timeline's requests, and a second wrk run started then). What was counted, for the test's output.
    /// </summary>
    public async Task<string> KillUnderLoadAsync(int node, string url, TestProcess balancer, Regex markedDown)
    {
        int fromLine = balancer.LineCount;
        using HttpClient client = ClientOf(url);
        RequestTimeline timeline = RequestTimeline.Start(client, "/echo", TimelineClients);
        using var markSeen = new CancellationTokenSource();
        Task<WrkReport> untilMarked = Wrk.RunAsync(url + "/echo", Connections, PhaseTimeout, markSeen.Token);
        TimeSpan killedAt, downAt;
        WrkReport before, after;
        try
        {
            Assert.True(await timeline.ServedAsync(100, TimeSpan.Zero, PhaseTimeout), $"the load did not get through: {timeline}");
            killedAt = timeline.Now;
            Posix.SendSignal(Node(node).Id, Posix.SigKill);
            await balancer.WaitForOutputAsync(markedDown, PhaseTimeout, fromLine);
            downAt = timeline.Now;
            await markSeen.CancelAsync();
            before = await untilMarked;
            after = await Wrk.RunAsync(url + "/echo", Connections, TimeSpan.FromSeconds(3));
        }
        finally
        {
            await StopAsync(timeline, markSeen, untilMarked);
        }
        string counted = $"SIGKILL of node {node}: wrk until it was marked down: {before}; wrk after: {after}; " +
            $"timeline ({timeline}): killed at {killedAt.TotalSeconds:0.000} s, marked down at {downAt.TotalSeconds:0.000} s, " +
            $"failed: [{string.Join("; ", timeline.Failures(TimeSpan.Zero, TimeSpan.MaxValue))}]";
        // Each request in flight to the node may fail, and each connection to it the balancer kept open for the next
        // request (at most one per request in flight through it) may fail one: HAProxy closes the client's connection
        // then, without an answer, as a server closing a keep-alive connection would, which wrk counts as a read error
        // and HttpClient retries (RFC 9112, 9.3.1).
        int mayFail = 2 * (Connections + TimelineClients);
        Assert.True(timeline.FailedBefore(killedAt) == 0, $"failures before the kill: {counted}");
        Assert.True(before.Failures + timeline.Failures(TimeSpan.Zero, downAt).Count <= mayFail, $"more failed than were in flight: {counted}");
        Assert.True(after.Failures == 0 && timeline.Failures(downAt, TimeSpan.MaxValue).Count == 0, $"failures after the node was marked down: {counted}");
        Assert.True(timeline.Served(downAt) >= 20, $"too few requests after the node was marked down to tell: {counted}");
        return counted;
    }

    /// <summary>
    /// SIGTERM of node <paramref name="node"/> under load: it answers its readiness check with 503 while it drains, the
    /// balancer prints <paramref name="takenOut"/> and stops sending to it before it stops taking requests, and not one
    /// request fails, before it exits or after (the load goes on past its exit). What was counted.
    /// </summary>
    public async Task<string> DrainUnderLoadAsync(int node, string url, TestProcess balancer, Regex takenOut)
    {
        int fromLine = balancer.LineCount;
        using HttpClient client = ClientOf(url);
        RequestTimeline timeline = RequestTimeline.Start(client, "/echo", TimelineClients);
        using var drained = new CancellationTokenSource();
        Task<WrkReport> untilDrained = Wrk.RunAsync(url + "/echo", Connections, 2 * PhaseTimeout, drained.Token);
        TimeSpan stoppedAt, outAt, exitedAt;
        WrkReport load;
        try
        {
            Assert.True(await timeline.ServedAsync(100, TimeSpan.Zero, PhaseTimeout), $"the load did not get through: {timeline}");
            stoppedAt = timeline.Now;
            Node(node).Terminate();
            await balancer.WaitForOutputAsync(takenOut, PhaseTimeout, fromLine);
            outAt = timeline.Now;
            Assert.Equal(0, await Node(node).WaitForExitAsync(PhaseTimeout));
            exitedAt = timeline.Now;
            Assert.True(await timeline.ServedAsync(100, exitedAt, PhaseTimeout), $"the load did not go on after node {node} exited: {timeline}");
            await drained.CancelAsync();
            load = await untilDrained;
        }
        finally
        {
            await StopAsync(timeline, drained, untilDrained);
        }
        string counted = $"SIGTERM of node {node}: wrk: {load}; timeline ({timeline}): stopped at {stoppedAt.TotalSeconds:0.000} s, " +
            $"taken out at {outAt.TotalSeconds:0.000} s, exited at {exitedAt.TotalSeconds:0.000} s, " +
            $"failed: [{string.Join("; ", timeline.Failures(TimeSpan.Zero, TimeSpan.MaxValue))}]";
        Assert.True(load.Failures == 0 && timeline.Failures(TimeSpan.Zero, TimeSpan.MaxValue).Count == 0, $"a draining node failed requests: {counted}");
        return counted;
    }

    /// <summary>
    /// Starts node <paramref name="node"/> again after it ended: the balancer prints <paramref name="putBack"/>, and a
    /// round of requests reaches its new worker among <paramref name="serving"/> workers in all. The round's echoes.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> RejoinAsync(int node, string url, TestProcess balancer, Regex putBack, int serving)
    {
        int fromLine = balancer.LineCount;
        await RestartAsync(node);
        await balancer.WaitForOutputAsync(putBack, PhaseTimeout, fromLine);
        using HttpClient client = ClientOf(url);
        return await EchoRoundAsync(client, serving, including: await WorkerPidAsync(node));
    }

    /// <summary>Ends the timeline's clients and the wrk run, also when the phase failed half-way.</summary>
    private static async Task StopAsync(RequestTimeline timeline, CancellationTokenSource stopWrk, Task<WrkReport> wrk)
    {
        await timeline.StopAsync();
        await stopWrk.CancelAsync();
        await Task.WhenAny(wrk);   // waits for its end without throwing again what the phase already threw or got
    }
}
