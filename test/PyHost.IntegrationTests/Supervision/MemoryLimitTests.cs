using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>--max-worker-memory: a worker checks its resident memory after each request; past the limit it takes no
/// more requests and is replaced, and the requests around the replacement are all answered.</summary>
public sealed class MemoryLimitTests(ITestOutputHelper output)
{
    private const int LimitMib = 80;

    [Fact]
    public async Task LeakingWorkerIsRecycledOnceItPassesTheMemoryLimit()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--max-worker-memory", LimitMib.ToString()]);
        var mark = site.Process.LineCount;
        var leaker = await site.GetAsync("/leak?mib=20");

        // 20 MiB more a request until the worker is over the limit; then no more leaking, only waiting for the check.
        var last = leaker;
        for (var request = 1; last.ResidentMib <= LimitMib && last.Pid == leaker.Pid && request < 10; request++)
        {
            last = await site.GetAsync("/leak?mib=20");
        }
        Assert.True(last.ResidentMib > LimitMib || last.Pid != leaker.Pid,
            $"The leaking app reached only {last.ResidentMib} MiB: the test's leak does not leak.");
        var (replaced, fresh) = await Poll.UntilAsync(() => site.GetAsync("/"), answer => answer.Pid != leaker.Pid, TimeSpan.FromSeconds(15));

        Assert.True(replaced, $"Worker {leaker.Pid} at {last.ResidentMib} MiB still serves 15 s later (--max-worker-memory {LimitMib}).\n{site.Process.Describe()}");
        Assert.True(fresh.ResidentMib < LimitMib, $"The replacement already uses {fresh.ResidentMib} MiB.");
        await site.Process.WaitForOutputAsync(
            new Regex($@"Recycling worker \d+ \(pid {leaker.Pid}\): it uses \d+ MiB, over --max-worker-memory {LimitMib} MiB"), TimeSpan.FromSeconds(5), mark);
        Assert.True(await Eventually.HoldsAsync(() => !Posix.IsAlive(leaker.Pid), TimeSpan.FromSeconds(10)),
            $"The recycled worker {leaker.Pid} is still running.\n{site.Process.Describe()}");
    }

    [Fact]
    public async Task UnderABurstNoRequestStartsOnAWorkerAlreadyOverTheLimitAndNoneFails()
    {
        const int leakMib = 8;
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2", "--max-worker-memory", LimitMib.ToString()]);

        // 60 leaking requests, 8 at a time: with a check once a second, workers ran far past the limit (663-765 MiB
        // against 100 MiB); checked after each request, none starts over it.
        var answers = new List<AppAnswer>();
        for (int round = 0; round < 60 / 8; round++)
        {
            answers.AddRange(await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => site.GetAsync($"/leak?mib={leakMib}"))));
        }

        long worstStart = answers.Max(a => a.ResidentAtStartMib);
        long worstEnd = answers.Max(a => a.ResidentMib);
        output.WriteLine($"{answers.Count} leaking requests on {answers.Select(a => a.Pid).Distinct().Count()} workers: " +
                         $"at most {worstStart} MiB when a request started, {worstEnd} MiB when one ended (limit {LimitMib} MiB).");
        Assert.True(worstStart <= LimitMib, $"A request started on a worker already using {worstStart} MiB (limit {LimitMib} MiB).");
        Assert.True(answers.Select(a => a.Pid).Distinct().Count() > 2, "No worker was recycled.");
    }
}
