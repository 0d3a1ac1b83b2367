using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>The number of workers, changed by an operator (SIGTTIN, SIGTTOU, `pyhost scale N`) or by the load itself
/// (--workers-max with --idle-timeout), counted as the front's child processes.</summary>
public sealed class ScalingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(15);
    private static readonly Regex Booted = new(@"Booted worker \d+ \(pid \d+\) in \d+ ms");

    [Fact]
    public async Task SigttinAndSigttouAddAndRemoveAWorkerAndPyhostScaleSetsTheCount()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2"]);
        Assert.True(await site.WorkerCountBecomesAsync(2, Converge), Describe(site, 2));
        var mark = site.Process.LineCount;

        Posix.SendSignal(site.Pid, Signals.SigTtin);
        Assert.True(await site.WorkerCountBecomesAsync(3, Converge), Describe(site, 3));
        await site.Process.WaitForOutputAsync(new Regex(@"Scaled to 3 workers \(SIGTTIN\)"), TimeSpan.FromSeconds(5), mark);
        await site.Process.WaitForOutputAsync(new Regex(@"Booted worker 3 \(pid \d+\) in \d+ ms \(Python 3\.\d+"), TimeSpan.FromSeconds(5), mark);

        Posix.SendSignal(site.Pid, Signals.SigTtou);
        await site.Process.WaitForOutputAsync(new Regex(@"Scaled to 2 workers \(SIGTTOU\)"), TimeSpan.FromSeconds(5), mark);
        Posix.SendSignal(site.Pid, Signals.SigTtou);
        Assert.True(await site.WorkerCountBecomesAsync(1, Converge), Describe(site, 1));
        await site.Process.WaitForOutputAsync(new Regex(@"Scaled to 1 workers \(SIGTTOU\)"), TimeSpan.FromSeconds(5), mark);
        Assert.True(site.CountLines(new Regex(@"Retiring worker \d+ \(pid \d+\): scaled down"), mark) == 2, site.Process.Describe());
        Assert.Equal(site.Workers.Single(), (await site.GetAsync()).Pid);

        var scaleMark = site.Process.LineCount;
        var (exitCode, answer) = await SupervisedServer.RunCommandAsync("scale", "3", "--pid", site.PidFile);
        Assert.True(exitCode == 0 && answer.Trim() == "ok: 3 workers", $"pyhost scale 3 exited {exitCode}: {answer}");
        Assert.True(await site.WorkerCountBecomesAsync(3, Converge), Describe(site, 3));
        await site.Process.WaitForOutputAsync(new Regex(@"Scaled to 3 workers \(pyhost scale\)"), TimeSpan.FromSeconds(5), scaleMark);
        Assert.True(await Eventually.HoldsAsync(() => site.CountLines(Booted, scaleMark) == 2, Converge),
            $"The two workers added by `pyhost scale 3` did not both boot.\n{site.Process.Describe()}");
        // Three ready workers: three requests at once are served by three processes.
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => site.GetAsync("/sleep?seconds=0.5")));
        Assert.Equal(3, answers.Select(a => a.Pid).Distinct().Count());
    }

    [Fact]
    public async Task DynamicModeAddsWorkersWhileRequestsQueueAndRetiresThemWhenIdle()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["--workers", "1", "--workers-max", "3", "--idle-timeout", "2"]);
        Assert.True(await site.WorkerCountBecomesAsync(1, Converge), Describe(site, 1));
        var mark = site.Process.LineCount;

        // Six 1.5 s requests at once: 9 s on the one worker alone.
        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => site.GetAsync("/sleep?seconds=1.5")));
        clock.Stop();

        await site.Process.WaitForOutputAsync(new Regex(@"Scaled to 2 workers \(\d+ requests are waiting for a worker\)"), TimeSpan.FromSeconds(5), mark);
        await site.Process.WaitForOutputAsync(new Regex(@"Scaled to 3 workers \(\d+ requests are waiting for a worker\)"), TimeSpan.FromSeconds(5), mark);
        Assert.True(answers.Select(a => a.Pid).Distinct().Count() >= 2,
            $"All six requests were served by pid {answers[0].Pid}: no worker was added.\n{site.Process.Describe()}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(7.5), $"Six 1.5 s requests took {clock.Elapsed.TotalSeconds:0.0} s with up to 3 workers.");

        // Idle for --idle-timeout 2 s: back to the minimum, one worker at a time.
        var idle = Stopwatch.StartNew();
        Assert.True(await site.WorkerCountBecomesAsync(1, TimeSpan.FromSeconds(10)), Describe(site, 1));
        output.WriteLine($"Back to 1 worker {idle.Elapsed.TotalSeconds:0.0} s after the load ended.");
        await site.Process.WaitForOutputAsync(new Regex(@"Scaled to 1 workers \(worker \d+ \(pid \d+\) was idle for 2 s\)"), TimeSpan.FromSeconds(5), mark);
        Assert.True(site.CountLines(new Regex(@"Retiring worker \d+ \(pid \d+\): idle \(--idle-timeout\)"), mark) >= 1, site.Process.Describe());
        (await site.Server.GetAsync("/")).AssertStatus(200);
    }

    private static string Describe(SupervisedServer site, int expected) =>
        $"Expected {expected} worker processes, found {site.Workers.Count} ({string.Join(", ", site.Workers)}).\n{site.Process.Describe()}";
}
