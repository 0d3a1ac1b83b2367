using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Workers;

/// <summary>SIGTERM: finish what is in flight, stop the workers, exit 0. Its own server, since it stops it.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task SigtermLetsTheInFlightRequestFinishThenExitsZeroLeavingNoWorkers()
    {
        await using var server = await PyHostServer.StartAsync("pep3333:app", ["--chdir", Repository.AppsDirectory, "-w", "2"]);
        var workers = Posix.Descendants(server.Process.Id);
        Assert.True(workers.Count > 0, $"pyhost has no child processes once ready.\n{server.Process.Describe()}");
        await using var connection = await server.ConnectAsync();
        connection.Timeout = TimeSpan.FromSeconds(15);
        var mark = server.Process.LineCount;

        await connection.SendAsync(server.Request("GET", "/sleep?seconds=2"));
        await server.Process.WaitForOutputAsync(new Regex(@"sleep started in \d+"), TimeSpan.FromSeconds(10), mark);
        server.Process.Terminate();
        var response = await connection.ReadResponseAsync();
        var exitCode = await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));

        var sleeper = response.AssertStatus(200).Json().GetProperty("pid").GetInt32();
        Assert.True(exitCode == 0, $"pyhost exited with {exitCode} after SIGTERM.\n{server.Process.Describe()}");
        int[] workerPids = [.. workers.Append(sleeper).Distinct()];
        // A second of grace: an orphaned worker sees end of file on its socket and exits on its own.
        Assert.True(
            await Eventually.HoldsAsync(() => !workerPids.Any(Posix.IsAlive), TimeSpan.FromSeconds(1)),
            $"Still running after pyhost exited: {string.Join(", ", workerPids.Where(Posix.IsAlive))} (of {string.Join(", ", workerPids)}).");
    }

    [Fact]
    public async Task SigkilledPyhostLeavesNoWorkersIdleOrBusy()
    {
        await using var server = await PyHostServer.StartAsync("pep3333:app", ["--chdir", Repository.AppsDirectory, "-w", "2"]);
        var workers = Posix.Descendants(server.Process.Id);
        Assert.True(workers.Count == 2, $"expected 2 workers, found {workers.Count}.\n{server.Process.Describe()}");
        await using var connection = await server.ConnectAsync();
        var mark = server.Process.LineCount;
        // One worker is busy in a 10 s request (only its watchdog can notice), the other idle (it sees end of file).
        await connection.SendAsync(server.Request("GET", "/sleep?seconds=10"));
        await server.Process.WaitForOutputAsync(new Regex(@"sleep started in \d+"), TimeSpan.FromSeconds(10), mark);

        Posix.SendSignal(server.Process.Id, Posix.SigKill);
        await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(5));

        Assert.True(
            await Eventually.HoldsAsync(() => !workers.Any(Posix.IsAlive), TimeSpan.FromSeconds(3)),
            $"Workers still running 3 s after pyhost was SIGKILLed: {string.Join(", ", workers.Where(Posix.IsAlive))}.");
    }
}
