using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Workers;

/// <summary>-t/--timeout: the request gets its 504 at once, the hung worker's Python stack reaches the log, and the
/// worker is replaced. Its own server: the test kills a worker.</summary>
public sealed class TimeoutTests
{
    [Fact]
    public async Task RequestPastTheTimeoutGets504AtOnceAndTheWorkersStackIsLogged()
    {
        await using var server = await PyHostServer.StartAsync("pep3333:app", ["--chdir", Repository.AppsDirectory, "-w", "1", "-t", "1"]);
        var hungPid = (await server.GetAsync("/echo/before")).AssertStatus(200).Json().GetProperty("pid").GetInt32();

        var clock = Stopwatch.StartNew();
        var timedOut = await server.GetAsync("/sleep?seconds=30");
        clock.Stop();

        timedOut.AssertStatus(504);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"The 504 came after {clock.Elapsed.TotalSeconds:0.0} s with -t 1.");
        // faulthandler's dump names the app's own frame: where it hung, not just that it did.
        await server.Process.WaitForOutputAsync(new Regex(@"timed out after \d+\.\d s handling GET /sleep\?seconds=30"), TimeSpan.FromSeconds(5));
        await server.Process.WaitForOutputAsync(new Regex(@"File "".*pep3333\.py"", line \d+ in sleep"), TimeSpan.FromSeconds(5));

        var after = (await server.GetAsync("/echo/after")).AssertStatus(200).Json().GetProperty("pid").GetInt32();
        Assert.NotEqual(hungPid, after);
        Assert.True(await Eventually.HoldsAsync(() => !Posix.IsAlive(hungPid), TimeSpan.FromSeconds(5)),
            $"The timed-out worker {hungPid} is still alive.\n{server.Process.Describe()}");
    }
}
