using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>Graceful reloads drop nothing: new workers are ready before the old ones drain, so a client under
/// continuous load sees neither an error status nor a connection error, by wrk's own counters.</summary>
[Collection(LoadTestCollection.Name)]
public sealed class ReloadUnderLoadTests(ITestOutputHelper output)
{
    private const int Reloads = 10;
    private static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(1.2);

    [Fact]
    public async Task TenSighupReloadsUnderWrkLoadFailNoRequest()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2"]);
        var mark = site.Process.LineCount;

        // The issue asks for 30 s of load; 16 s holds the 10 reloads (one every 1.2 s after a second of warm-up)
        // and keeps CI time sane.
        var load = Wrk.RunAsync(site.Url, connections: 16, duration: TimeSpan.FromSeconds(16));
        var clock = Stopwatch.StartNew();
        for (var reload = 1; reload <= Reloads; reload++)
        {
            var due = TimeSpan.FromSeconds(1) + ReloadInterval * (reload - 1);
            if (clock.Elapsed < due)
            {
                await Task.Delay(due - clock.Elapsed);
            }
            var before = site.Process.LineCount;
            Posix.SendSignal(site.Pid, Signals.SigHup);
            // Each reload completes before the next: one that supersedes a half-done one would prove less.
            await site.Process.WaitForOutputAsync(new Regex($@"Reloaded: 2 workers of generation {reload} ready in \d+ ms"), TimeSpan.FromSeconds(20), before);
        }
        var reloadsDoneAt = clock.Elapsed;
        var stillLoaded = !load.IsCompleted;
        var report = await load;

        output.WriteLine($"{Reloads} reloads under load (the last done at {reloadsDoneAt.TotalSeconds:0.0} s of 16 s): " +
                         $"{report.Requests} requests, {report.Failures} failures ({report})");
        Assert.True(stillLoaded, $"wrk finished before the {Reloads}th reload did ({reloadsDoneAt.TotalSeconds:0.0} s): not every reload was under load.");
        Assert.True(report.Requests > 0, $"wrk counted no requests:\n{report.Text}");
        Assert.True(report.NonSuccessResponses == 0, $"{report.NonSuccessResponses} responses were not 2xx/3xx during the reloads:\n{report.Text}");
        Assert.True(report.SocketErrors.Total == 0, $"wrk saw socket errors during the reloads: {report.SocketErrors}\n{report.Text}");
        Assert.Equal(Reloads, site.CountLines(new Regex(@"Reloading \(SIGHUP\): booting 2 workers"), mark));
        Assert.Equal(Reloads, site.CountLines(new Regex(@"Reloaded: 2 workers of generation \d+"), mark));
        Assert.Equal(0, site.CountLines(new Regex("Reload abandoned"), mark));
        // Every old generation drained and exited.
        Assert.True(await site.WorkerCountBecomesAsync(2, TimeSpan.FromSeconds(10)),
            $"{site.Workers.Count} worker processes after the reloads instead of 2.\n{site.Process.Describe()}");
    }
}
