using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>
/// `pyhost reload`: a new generation of workers imports the code as it is on disk now and takes over; code that
/// does not import is a reload abandoned, with the old workers still serving. The VERSION the app answers with says
/// which code served a request.
/// A reload under --preload (a new zygote must really import the new code) is tested with --preload itself, in
/// Workers/PreloadTests.
/// </summary>
public sealed class ReloadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SuccessfulReloadServesTheNewCodeOnceTheCommandSaysOk()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2"]);
        // The control socket sits beside the pid file: site.pid → site.control.sock, and its path is logged.
        var socket = Path.Combine(site.AppDirectory, "site.control.sock");
        Assert.Contains($"Control socket: {socket}", site.Process.Output);
        var before = await site.GetAsync();
        var oldWorkers = site.Workers;
        var mark = site.Process.LineCount;

        site.WriteVersion("v2-reloaded");
        var (exitCode, answer) = await SupervisedServer.RunCommandAsync("reload", "--control", socket);

        Assert.Equal("v1", before.Version);
        Assert.True(exitCode == 0 && answer.StartsWith("ok: ", StringComparison.Ordinal), $"pyhost reload exited {exitCode}: {answer}\n{site.Process.Describe()}");
        for (var request = 0; request < 6; request++)
        {
            var after = await site.GetAsync();
            Assert.True(after.Version == "v2-reloaded", $"After \"{answer}\", request {request} was served by {after.Version} code (pid {after.Pid}).");
            Assert.DoesNotContain(after.Pid, oldWorkers);
        }
        await site.Process.WaitForOutputAsync(new Regex(@"Reloading \(pyhost reload\): booting 2 workers of generation 1"), TimeSpan.FromSeconds(5), mark);
        await site.Process.WaitForOutputAsync(new Regex(@"Reloaded: 2 workers of generation 1 ready in \d+ ms"), TimeSpan.FromSeconds(5), mark);
        Assert.True(await site.WorkerCountBecomesAsync(2, TimeSpan.FromSeconds(10)), $"{site.Workers.Count} workers after the reload, not 2.");
        Assert.Empty(site.Workers.Intersect(oldWorkers));
    }

    public static TheoryData<string, string, string> BrokenModules => new()
    {
        { "a syntax error", "VERSION = \"v2-broken\"\ndef app(environ, start_response:\n", "SyntaxError" },
        { "an import that raises", "raise RuntimeError(\"broken deploy\")\n", "RuntimeError: broken deploy" },
    };

    [Theory]
    [MemberData(nameof(BrokenModules))]
    public async Task ReloadToCodeThatFailsToImportKeepsTheOldCodeServing(string what, string brokenSource, string logged)
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2"]);
        var oldWorkers = site.Workers;
        var mark = site.Process.LineCount;

        site.WriteModule(brokenSource);
        var (exitCode, answer) = await SupervisedServer.RunCommandAsync("reload", "--pid", site.PidFile);

        Assert.True(exitCode == 1, $"pyhost reload to {what} exited {exitCode}: {answer}");
        Assert.Contains("error", answer);
        await site.Process.WaitForOutputAsync(new Regex("Reload abandoned, the running workers keep serving"), TimeSpan.FromSeconds(5), mark);
        Assert.Contains(logged, site.Process.OutputSince(mark));
        for (var request = 0; request < 6; request++)
        {
            var after = await site.GetAsync();
            Assert.Equal("v1", after.Version);
            Assert.Contains(after.Pid, oldWorkers);
        }
        // The failed generation leaves nothing behind.
        Assert.True(await site.WorkerCountBecomesAsync(2, TimeSpan.FromSeconds(10)), $"{site.Workers.Count} workers after the failed reload, not 2.");
        Assert.Equal(oldWorkers.Order(), site.Workers.Order());
    }
}
