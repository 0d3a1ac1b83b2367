using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>--reload, for development: an edited .py file under the app directory (or a --reload-extra-file) is
/// served within 2 s; an edit that does not import keeps the old workers and shows the error.</summary>
public sealed class DevReloadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PickedUpWithin = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task EditedModuleIsServedWithinTwoSecondsAndASyntaxErrorKeepsTheOldWorkers()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2", "--reload"]);
        Assert.Equal("v1", (await site.GetAsync()).Version);

        var edited = site.Process.LineCount;
        await ExpectVersionAsync(site, "v2-edited", () => site.WriteVersion("v2-edited"));
        // A new worker may serve v2 before its whole generation is up; the broken edit must come after that reload.
        await site.Process.WaitForOutputAsync(new Regex("Reloaded: 2 workers of generation 1 ready"), TimeSpan.FromSeconds(10), edited);

        var mark = site.Process.LineCount;
        var served = site.Workers;
        site.WriteModule("VERSION = \"v3-broken\"\ndef app(environ, start_response:\n");
        await site.Process.WaitForOutputAsync(new Regex("Reload abandoned, the running workers keep serving"), TimeSpan.FromSeconds(10), mark);
        Assert.Contains("SyntaxError", site.Process.OutputSince(mark));
        Assert.Matches(new Regex(@"supervision\.py changed: reloading the workers \(--reload\)"), site.Process.OutputSince(mark));
        for (var request = 0; request < 4; request++)
        {
            var answer = await site.GetAsync();
            Assert.Equal("v2-edited", answer.Version);
            Assert.Contains(answer.Pid, served);
        }

        // Fixing the file is picked up too: a failed reload does not stop the watching.
        await ExpectVersionAsync(site, "v4-fixed-again", () => site.WriteVersion("v4-fixed-again"));
    }

    [Fact]
    public async Task EditedExtraFileIsServedWithinTwoSeconds()
    {
        await using var site = await SupervisedServer.StartAsync(
            output, ["-w", "1", "--reload", "--reload-extra-file", "version.txt"], [("version.txt", "extra-1\n")]);
        Assert.Equal("extra-1", (await site.GetAsync()).Extra);

        var clock = Stopwatch.StartNew();
        site.WriteFile("version.txt", "extra-2-edited\n");
        var (held, last) = await Poll.UntilAsync(() => site.GetAsync(), answer => answer.Extra == "extra-2-edited", TimeSpan.FromSeconds(10));

        Assert.True(held, $"Still serving extra={last.Extra} 10 s after version.txt changed.\n{site.Process.Describe()}");
        Assert.True(clock.Elapsed < PickedUpWithin, $"The edited --reload-extra-file was served after {clock.Elapsed.TotalSeconds:0.0} s.");
    }

    /// <summary>Makes the edit, then polls until the new version answers: within 2 s, or the test fails.</summary>
    private async Task ExpectVersionAsync(SupervisedServer site, string version, Action edit)
    {
        var clock = Stopwatch.StartNew();
        edit();
        var (held, last) = await Poll.UntilAsync(() => site.GetAsync(), answer => answer.Version == version, TimeSpan.FromSeconds(10));
        var elapsed = clock.Elapsed;

        output.WriteLine($"{version} served {elapsed.TotalSeconds:0.00} s after the edit.");
        Assert.True(held, $"Still serving {last.Version} 10 s after the edit to {version}.\n{site.Process.Describe()}");
        Assert.True(elapsed < PickedUpWithin, $"The edit to {version} was served after {elapsed.TotalSeconds:0.00} s, not within {PickedUpWithin.TotalSeconds} s.");
    }
}
