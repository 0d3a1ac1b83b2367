using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>SIGQUIT stops at once: no waiting for in-flight requests, every worker killed. (SIGTERM's graceful stop
/// is in Workers/GracefulShutdownTests.)</summary>
public sealed class QuitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SigquitExitsWithinTwoSecondsDespiteAnInFlightRequestAndLeavesNoWorker()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2"]);
        var workers = site.Workers;
        Assert.Equal(2, workers.Count);
        await using var connection = await site.Server.ConnectAsync();
        var mark = site.Process.LineCount;
        await connection.SendAsync(site.Server.Request("GET", "/sleep?seconds=10"));
        await site.Process.WaitForOutputAsync(new Regex(@"sleep started in \d+"), TimeSpan.FromSeconds(10), mark);

        var clock = Stopwatch.StartNew();
        Posix.SendSignal(site.Pid, Signals.SigQuit);
        await site.Process.WaitForExitAsync(TimeSpan.FromSeconds(2));
        output.WriteLine($"pyhost exited {clock.Elapsed.TotalSeconds:0.00} s after SIGQUIT.");

        Assert.True(await Eventually.HoldsAsync(() => !workers.Any(Posix.IsAlive), TimeSpan.FromSeconds(1)),
            $"Still running after SIGQUIT: {string.Join(", ", workers.Where(Posix.IsAlive))} (of {string.Join(", ", workers)}).");
        var inFlight = await connection.ReadResponseOrNullAsync();
        Assert.True(inFlight is null || inFlight.StatusCode != 200, $"The in-flight 10 s request was answered as if finished:\n{inFlight}");
    }
}
