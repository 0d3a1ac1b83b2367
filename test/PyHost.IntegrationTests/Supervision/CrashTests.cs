using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>A worker that dies mid-request costs that request a 502 and nothing else: other clients' requests keep
/// being served, the dead worker is replaced at once, and its exit is logged with its status or signal.</summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Crashes = 3;

    [Theory]
    [InlineData("/exit", @"died: it exited with status 1 while serving")]                        // os._exit(1)
    [InlineData("/segv", @"died: it was killed by signal 11 \(SIGSEGV\) while serving")]        // os.kill(os.getpid(), SIGSEGV)
    public async Task DyingWorkerFailsOnlyItsOwnRequestWhileParallelClientsAreAllServed(string crashTarget, string exitLine)
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2"]);
        var mark = site.Process.LineCount;
        var served = new ConcurrentQueue<int>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 2).Select(_ => RequestInALoopAsync(site.Server, served, stop.Token)).ToArray();

        var crashed = new List<RawHttpResponse>();
        for (var crash = 1; crash <= Crashes; crash++)
        {
            var servedBefore = served.Count;
            crashed.Add(await site.Server.GetAsync(crashTarget));
            // The next crash hits a full pool again, and the other clients were served meanwhile.
            Assert.True(await site.WorkerCountBecomesAsync(2, TimeSpan.FromSeconds(15)),
                $"After crash {crash}, {site.Workers.Count} workers instead of 2.\n{site.Process.Describe()}");
            Assert.True(await Eventually.HoldsAsync(() => served.Count >= servedBefore + 4, TimeSpan.FromSeconds(10)),
                $"The parallel clients got {served.Count - servedBefore} answers around crash {crash}.\n{site.Process.Describe()}");
        }
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        output.WriteLine($"{served.Count} requests of the parallel clients during {Crashes} crashes ({crashTarget}).");

        Assert.All(crashed, response => response.AssertStatus(502));
        Assert.True(served.All(status => status == 200),
            $"The parallel clients got {string.Join(", ", served.Where(s => s != 200).Distinct())} among {served.Count} answers; only the crashing requests may fail.");
        Assert.Equal(Crashes, site.CountLines(new Regex(@"worker \d+ \(pid \d+\) " + exitLine), mark));
        Assert.True(await Eventually.HoldsAsync(() => site.CountLines(new Regex(@"Booted worker \d+ \(pid \d+\) in \d+ ms"), mark) == Crashes, TimeSpan.FromSeconds(10)),
            $"Not every dead worker was replaced.\n{site.Process.Describe()}");
    }

    /// <summary>Normal requests, each on a new connection, until cancelled; their statuses go to <paramref name="served"/>.</summary>
    private static async Task RequestInALoopAsync(PyHostServer server, ConcurrentQueue<int> served, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            served.Enqueue((await server.GetAsync("/")).StatusCode);
        }
    }
}
