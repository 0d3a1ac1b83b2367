using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>--threads N: one worker process runs N requests at once, each on its own thread, and tells the app so
/// (wsgi.multithread, PEP 3333).</summary>
public sealed class ThreadsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OneWorkerWithFourThreadsRunsFourSlowRequestsAtOnce()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--threads", "4"]);
        // The three more request threads connect just after the worker is ready: a first round lets them all in.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => site.GetAsync("/sleep?seconds=0.2")));

        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => site.GetAsync("/sleep?seconds=1")));
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.8), $"Four 1 s requests took {clock.Elapsed.TotalSeconds:0.00} s on one worker with --threads 4.");
        Assert.Single(answers.Select(a => a.Pid).Distinct());
        Assert.Equal(site.Workers.Single(), answers[0].Pid);
        Assert.Equal(4, answers.Select(a => a.Thread).Distinct().Count());
        Assert.All(answers, answer => Assert.True(answer.Multithread, "wsgi.multithread is False with --threads 4."));
    }

    [Fact]
    public async Task ARetiringWorkerLetsTheRequestOneThreadRunsFinishThoughItsOtherThreadIsIdle()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--threads", "2"]);
        AppAnswer[] firstRound = await Task.WhenAll(site.GetAsync("/sleep?seconds=0.3"), site.GetAsync("/sleep?seconds=0.3"));
        Assert.True(firstRound[0].Thread != firstRound[1].Thread, "The worker's second thread was not serving yet.");
        int mark = site.Process.LineCount;
        Task<AppAnswer> running = site.GetAsync("/sleep?seconds=5");
        await site.Process.WaitForOutputAsync(new Regex("sleep started"), TimeSpan.FromSeconds(10), mark);

        site.WriteVersion("v2");
        Posix.SendSignal(site.Pid, Signals.SigHup);
        await site.Process.WaitForOutputAsync(new Regex($@"Retiring worker \d+ \(pid {firstRound[0].Pid}\)"), TimeSpan.FromSeconds(10), mark);

        // Its idle thread's channel is retired at once; closing it made the worker exit, and this request got 502.
        AppAnswer answer = await running;
        Assert.Equal(("v1", firstRound[0].Pid), (answer.Version, answer.Pid));
        Assert.Equal("v2", (await site.GetAsync()).Version);
    }

    [Fact]
    public async Task WithoutThreadsWsgiMultithreadIsFalse()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1"]);

        Assert.False((await site.GetAsync()).Multithread);
    }
}
