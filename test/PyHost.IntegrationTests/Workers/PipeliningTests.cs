using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Workers;

/// <summary>
/// Pipelined dispatch: when every worker is busy, a request without a body may wait inside a busy worker behind a
/// request that started moments ago. These are its failure paths. --pipeline-age 60000 makes "moments ago" a minute,
/// so that which request waits where does not depend on the machine's speed.
/// </summary>
public sealed class PipeliningTests(ITestOutputHelper output)
{
    private static readonly string[] Pipelined = ["--pipeline-depth", "4", "--pipeline-age", "60000"];

    [Fact]
    public async Task ARequestWhoseClientLeavesWhileItWaitsInTheWorkerNeverRuns()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", .. Pipelined]);
        Task<AppAnswer> running = site.GetAsync("/sleep?seconds=1");
        await site.Process.WaitForOutputAsync(new Regex("sleep started"), TimeSpan.FromSeconds(10));
        var leaving = await site.Server.ConnectAsync();
        await leaving.SendAsync(site.Server.Request("GET", "/touch?name=left"));
        await Task.Delay(200);   // it is in the worker, behind the sleeping request

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
        Task<RawHttpResponse> dying = site.Server.GetAsync("/sleep?seconds=0.5&then=exit");
        await site.Process.WaitForOutputAsync(new Regex("sleep started"), TimeSpan.FromSeconds(10));
        Task<AppAnswer>[] waiting = Enumerable.Range(0, 3).Select(_ => site.GetAsync("/")).ToArray();

        (await dying).AssertStatus(502);
        AppAnswer[] answers = await Task.WhenAll(waiting);

        Assert.Single(answers.Select(a => a.Pid).Distinct());
    }

    [Fact]
    public async Task ARetiringWorkerGivesBackTheRequestsWaitingInItAndTheyRunOnTheNewGeneration()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", .. Pipelined]);
        AppAnswer old = await site.GetAsync();
        Task<AppAnswer> running = site.GetAsync("/sleep?seconds=3");
        await site.Process.WaitForOutputAsync(new Regex("sleep started"), TimeSpan.FromSeconds(10));
        Task<AppAnswer> waiting = site.GetAsync("/");
        await Task.Delay(200);

        site.WriteVersion("v2");
        Posix.SendSignal(site.Pid, Signals.SigHup);

        AppAnswer moved = await waiting;
        Assert.Equal("v2", moved.Version);
        Assert.NotEqual(old.Pid, moved.Pid);
        Assert.False((await running).Version == "v2", "The running request was not left to finish on the old worker.");
    }

    [Fact]
    public async Task ATimeoutFailsTheRunningRequestOnlyAndTheTimeoutOfAWaitingRequestCountsFromWhenItStarts()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--timeout", "2", .. Pipelined]);
        Task<RawHttpResponse> hung = site.Server.GetAsync("/sleep?seconds=30");
        await site.Process.WaitForOutputAsync(new Regex("sleep started"), TimeSpan.FromSeconds(10));
        // Waits behind the hung request; it is moved to the replacement, where its own 1.5 s is within the timeout.
        Task<AppAnswer> behind = site.GetAsync("/sleep?seconds=1.5");

        (await hung).AssertStatus(504);
        AppAnswer answer = await behind;

        Assert.Single(Regex.Matches(site.Process.Output, "timed out after"));
        Assert.True(answer.Pid > 0);
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
}
