using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Proxy;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Workers;

/// <summary>
/// Pipelined dispatch: when every worker is busy, a request without a body may wait inside a busy worker behind a
/// request that started moments ago. These are its failure paths. --pipeline-age 60000 makes "moments ago" a minute,
/// so that which request waits where does not depend on the machine's speed; before a failure is brought about, the
/// admin API's queue shows where the requests wait (in a worker, or in the front's own queue).
/// </summary>
public sealed class PipeliningTests(ITestOutputHelper output)
{
    private static readonly string[] Pipelined = ["--pipeline-depth", "4", "--pipeline-age", "60000"];
    private static readonly Regex SleepStarted = new(@"sleep started in (\d+)");

    [Fact]
    public async Task ARequestWhoseClientLeavesWhileItWaitsInTheWorkerNeverRuns()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", .. Pipelined]);
        Task<AppAnswer> running = site.GetAsync("/sleep?seconds=3");
        await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10));
        var leaving = await site.Server.ConnectAsync();
        await leaving.SendAsync(site.Server.Request("GET", "/touch?name=left"));
        Assert.Equal((InWorkers: 1, InFront: 0), await QueueOnceItHoldsAsync(site, 1));

        await leaving.DisposeAsync();
        await running;
        await site.GetAsync("/touch?name=after");

        Assert.True(File.Exists(Path.Combine(site.AppDirectory, "touched-after")));
        Assert.False(File.Exists(Path.Combine(site.AppDirectory, "touched-left")), "A request whose client had left was run.");
    }

    [Fact]
    public async Task WhenAWorkerDiesOnlyItsRunningRequestFailsAndTheOnesWaitingBehindItRunOnItsReplacement()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", .. Pipelined]);
        Task<RawHttpResponse> dying = site.Server.GetAsync("/sleep?seconds=3&then=exit");
        int dead = int.Parse((await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10))).Groups[1].Value);
        string[] names = ["a", "b", "c"];
        Task<AppAnswer>[] waiting = names.Select(name => site.GetAsync($"/touch?name={name}")).ToArray();
        Assert.Equal((InWorkers: 3, InFront: 0), await QueueOnceItHoldsAsync(site, 3));

        (await dying).AssertStatus(502);
        AppAnswer[] answers = await Task.WhenAll(waiting);

        int replacement = Assert.Single(answers.Select(a => a.Pid).Distinct());
        Assert.NotEqual(dead, replacement);
        Assert.All(names, name => Assert.Equal([replacement], TouchedBy(site, name)));
    }

    [Fact]
    public async Task ARetiringWorkerGivesBackTheRequestsWaitingInItAndTheyRunOnTheNewGeneration()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", .. Pipelined]);
        AppAnswer old = await site.GetAsync();
        Task<AppAnswer> running = site.GetAsync("/sleep?seconds=6");
        await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10));
        Task<AppAnswer> waiting = site.GetAsync("/touch?name=waiting");
        Assert.Equal((InWorkers: 1, InFront: 0), await QueueOnceItHoldsAsync(site, 1));

        site.WriteVersion("v2");
        Posix.SendSignal(site.Pid, Signals.SigHup);

        AppAnswer moved = await waiting;
        Assert.Equal("v2", moved.Version);
        Assert.NotEqual(old.Pid, moved.Pid);
        Assert.Equal([moved.Pid], TouchedBy(site, "waiting"));
        Assert.False((await running).Version == "v2", "The running request was not left to finish on the old worker.");
    }

    [Fact]
    public async Task AWorkerRecycledByMaxRequestsGivesBackTheRequestWaitingInItAndItRunsOnceOnItsSuccessor()
    {
        // Two threads of one worker: a short request's end brings it to --max-requests while the other thread runs a
        // long one with a request waiting behind it.
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--threads", "2", "--max-requests", "3", .. Pipelined]);
        AppAnswer[] firstRound = await Task.WhenAll(site.GetAsync("/sleep?seconds=0.3"), site.GetAsync("/sleep?seconds=0.3"));
        Assert.True(firstRound[0].Thread != firstRound[1].Thread, "The worker's second thread was not serving yet.");
        int mark = site.Process.LineCount;
        Task<AppAnswer> shorter = site.GetAsync("/sleep?seconds=2");
        await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10), mark);
        mark = site.Process.LineCount;
        Task<AppAnswer> longer = site.GetAsync("/sleep?seconds=6");
        await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10), mark);
        Task<AppAnswer> waiting = site.GetAsync("/touch?name=waiting");
        Assert.Equal((InWorkers: 1, InFront: 0), await QueueOnceItHoldsAsync(site, 1));

        AppAnswer moved = await waiting;

        int recycled = firstRound[0].Pid;
        Assert.Matches(new Regex($@"Recycling worker \d+ \(pid {recycled}\): it served 3 requests \(--max-requests\)"), site.Process.Output);
        Assert.NotEqual(recycled, moved.Pid);
        Assert.Equal([moved.Pid], TouchedBy(site, "waiting"));
        Assert.Equal(recycled, (await shorter).Pid);
        Assert.Equal(recycled, (await longer).Pid);
    }

    [Fact]
    public async Task NothingIsPipelinedOntoAWorkerDueForReplacementWhileItsSuccessorBoots()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--max-requests", "1", .. Pipelined]);
        site.WriteFile("import-delay", "5");   // read by the successor only: the first worker has imported the app
        int mark = site.Process.LineCount;
        AppAnswer first = await site.GetAsync();
        await site.Process.WaitForOutputAsync(new Regex($@"Recycling worker \d+ \(pid {first.Pid}\): it served 1 requests"), TimeSpan.FromSeconds(10), mark);
        // It still serves until its successor is ready: the next request runs on it...
        Task<AppAnswer> running = site.GetAsync("/sleep?seconds=3");
        await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10), mark);
        Task<AppAnswer> next = site.GetAsync("/touch?name=next");

        // ...but the one after it waits in the front's queue, not behind the running request (to be recalled later).
        Assert.Equal((InWorkers: 0, InFront: 1), await QueueOnceItHoldsAsync(site, 1));
        Assert.Equal(first.Pid, (await running).Pid);
        Assert.Equal([(await next).Pid], TouchedBy(site, "next"));
    }

    [Fact]
    public async Task AWorkerOverItsMemoryLimitGivesBackTheRequestsWaitingInItAndEachRunsOnceOnItsSuccessor()
    {
        const int limitMib = 80;
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--max-worker-memory", limitMib.ToString(), .. Pipelined]);
        Task<AppAnswer> leaking = site.GetAsync("/sleep?seconds=3&then=leak&mib=100");
        await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10));
        string[] names = ["a", "b"];
        Task<AppAnswer>[] waiting = names.Select(name => site.GetAsync($"/touch?name={name}")).ToArray();
        Assert.Equal((InWorkers: 2, InFront: 0), await QueueOnceItHoldsAsync(site, 2));

        AppAnswer leaker = await leaking;
        AppAnswer[] moved = await Task.WhenAll(waiting);

        Assert.True(leaker.ResidentMib > limitMib, $"The leaking request left its worker at {leaker.ResidentMib} MiB only.");
        Assert.Matches(new Regex($@"Recycling worker \d+ \(pid {leaker.Pid}\): it uses \d+ MiB, over --max-worker-memory {limitMib} MiB"), site.Process.Output);
        for (int i = 0; i < names.Length; i++)
        {
            Assert.NotEqual(leaker.Pid, moved[i].Pid);
            Assert.Equal([moved[i].Pid], TouchedBy(site, names[i]));
        }
    }

    [Fact]
    public async Task ATimeoutFailsOnlyTheRunningRequestAndTheOneWaitingBehindItRunsOnTheReplacement()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--timeout", "2", .. Pipelined]);
        Task<RawHttpResponse> hung = site.Server.GetAsync("/sleep?seconds=30");
        int timedOut = int.Parse((await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10))).Groups[1].Value);
        Task<AppAnswer> behind = site.GetAsync("/touch?name=behind");
        Assert.Equal((InWorkers: 1, InFront: 0), await QueueOnceItHoldsAsync(site, 1));

        (await hung).AssertStatus(504);
        AppAnswer answer = await behind;

        Assert.Single(Regex.Matches(site.Process.Output, "timed out after"));
        Assert.NotEqual(timedOut, answer.Pid);
        Assert.Equal([answer.Pid], TouchedBy(site, "behind"));
    }

    [Fact]
    public async Task TheTimeoutOfARequestThatWaitedInTheWorkerCountsFromWhenItStarted()
    {
        // Each request runs 3.5 s of a 5 s timeout; the second ends 7 s after it was given to the worker.
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--timeout", "5", .. Pipelined]);
        Task<AppAnswer> first = site.GetAsync("/sleep?seconds=3.5");
        await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10));
        Task<AppAnswer> behind = site.GetAsync("/sleep?seconds=3.5");
        Assert.Equal((InWorkers: 1, InFront: 0), await QueueOnceItHoldsAsync(site, 1));

        AppAnswer[] answers = await Task.WhenAll(first, behind);

        Assert.Equal(answers[0].Pid, answers[1].Pid);
        Assert.DoesNotMatch("timed out after", site.Process.Output);
    }

    [Fact]
    public async Task WithPipelineDepthZeroARequestWaitsInTheFrontWhileEveryWorkerIsBusy()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--pipeline-depth", "0", "--pipeline-age", "60000"]);
        Task<AppAnswer> running = site.GetAsync("/sleep?seconds=3");
        await site.Process.WaitForOutputAsync(SleepStarted, TimeSpan.FromSeconds(10));
        Task<AppAnswer> next = site.GetAsync("/");

        Assert.Equal((InWorkers: 0, InFront: 1), await QueueOnceItHoldsAsync(site, 1));
        Assert.Equal((await running).Pid, (await next).Pid);
    }

    [Fact]
    public async Task WithTheDefaultAgeNothingWaitsBehindARequestThatHasRunForMoreThanAMillisecond()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2", "--pipeline-depth", "4"]);
        Task<AppAnswer> slow = site.GetAsync("/sleep?seconds=20");
        Task<AppAnswer> brief = site.GetAsync("/sleep?seconds=1");
        await Poll.UntilAsync(() => Task.FromResult(Regex.Matches(site.Process.Output, "sleep started").Count), n => n == 2, TimeSpan.FromSeconds(10));

        // Both workers busy, both requests older than 1 ms: it waits in the front for whichever is free first.
        AppAnswer answer = await site.GetAsync("/");   // within the connection's 10 s, so not behind the 20 s sleep

        Assert.Equal((await brief).Pid, answer.Pid);
        Assert.False(slow.IsCompleted);
    }

    /// <summary>
    /// GET /status until the app's queue holds <paramref name="total"/> requests not yet running: how many wait in
    /// workers (sent to a busy worker, behind its running request) and how many in the front's own queue.
    /// </summary>
    private static async Task<(int InWorkers, int InFront)> QueueOnceItHoldsAsync(SupervisedServer site, int total)
    {
        using var admin = new AdminSocket(site.ControlSocket);
        (bool held, JsonElement queue) = await Poll.UntilAsync(
            async () => (await admin.StatusAsync()).GetProperty("apps")[0].GetProperty("queue"),
            queue => queue.GetProperty("pipelined").GetInt32() + queue.GetProperty("waiting").GetInt32() == total,
            TimeSpan.FromSeconds(10));
        Assert.True(held, $"The queue never held {total} requests: {queue}");
        return (queue.GetProperty("pipelined").GetInt32(), queue.GetProperty("waiting").GetInt32());
    }

    /// <summary>The pid of each run of /touch?name=NAME, one line a run.</summary>
    private static int[] TouchedBy(SupervisedServer site, string name) =>
        File.ReadAllLines(Path.Combine(site.AppDirectory, $"touched-{name}")).Select(int.Parse).ToArray();
}
