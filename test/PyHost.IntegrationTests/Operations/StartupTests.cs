using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>
/// A start-up always ends: PyHost accepts no connection before a worker can serve, and its "Listening" line, pid file
/// and control socket appear when it does; a worker slot that never boots is given up after --max-boot-failures
/// tries, and with no worker left PyHost exits. Its exit statuses are gunicorn's, checked against Debian's gunicorn.
/// </summary>
public sealed class StartupTests : IDisposable
{
    private readonly string directory = Ops.OpenDirectory("pyhost-startup-");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task NoConnectionIsAcceptedBeforeAWorkerServesAndThePidFileAndControlSocketComeWithTheFirst()
    {
        var port = Ops.FreePort();
        var pidFile = Path.Combine(directory, "site.pid");
        var controlSocket = Path.Combine(directory, "site.control.sock");
        await using var pyhost = TestProcess.Start(Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1", "--pid", pidFile, "-e", "IMPORT_SECONDS=4"));
        await pyhost.WaitForOutputAsync(new Regex("Using Python"), TestProcess.StartTimeout);
        await Task.Delay(TimeSpan.FromSeconds(1));   // the worker imports the app for 4 s

        Assert.False(Ops.Accepts(port), $"PyHost accepted a connection before any worker could serve it.\n{pyhost.Describe()}");
        Assert.False(File.Exists(pidFile), "The pid file exists before PyHost serves.");
        Assert.False(File.Exists(controlSocket), "The control socket exists before PyHost serves.");

        await pyhost.WaitForOutputAsync(TestProcess.ListeningOn($"http://127.0.0.1:{port}"), TestProcess.StartTimeout);
        Assert.Equal(pyhost.Id.ToString(), File.ReadAllText(pidFile).Trim());
        Assert.True(File.Exists(controlSocket), "No control socket once PyHost serves.");
        (await Ops.GetAsync(port, "/served")).AssertStatus(200);
    }

    [Fact]
    public async Task AWorkerSlotThatNeverBootsIsGivenUpWhileTheOthersServe()
    {
        // --max-boot-failures is 5 by default: retried after 0.5, 1, 2 and 4 s. The first worker takes the lock at import; every other worker fails its import, for ever.
        var port = Ops.FreePort();
        var pidFile = Path.Combine(directory, "site.pid");
        await using var pyhost = TestProcess.Start(Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "2", "--pid", pidFile,
            "-e", $"LOCK_FILE={Path.Combine(directory, "app.lock")}"));

        await pyhost.WaitForOutputAsync(TestProcess.ListeningOn($"http://127.0.0.1:{port}"), TestProcess.StartTimeout);
        Assert.True(File.Exists(pidFile), "No pid file while PyHost serves.");
        (await Ops.GetAsync(port, "/while-retrying")).AssertStatus(200);
        await pyhost.WaitForOutputAsync(
            new Regex(@"\[ERROR\] A worker failed to boot 5 times in a row: giving up its slot, 1 workers remain\. The last failure: .*another worker holds"),
            TimeSpan.FromSeconds(40));
        Assert.Equal(1, Ops.CountLines(pyhost.Output, new Regex(@"\[worker \d+ \(pid \d+\)\] RuntimeError: another worker holds")));   // the traceback, once

        (await Ops.GetAsync(port, "/after-giving-up")).AssertStatus(200);
        pyhost.Terminate();
        Assert.Equal(0, await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task WithNoWorkerLeftToServePyHostExitsWithGunicornsBootErrorStatus()
    {
        // The one worker serves, then dies; its successors cannot import the app any more (the lock is taken).
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1",
            "-e", $"LOCK_FILE={Path.Combine(directory, "app.lock")}"));

        (await Ops.GetAsync(port, "/crash")).AssertStatus(502);

        Assert.Equal(3, await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        Assert.Matches(new Regex(@"\[ERROR\] worker 1 \(pid \d+\) died"), pyhost.Output);
        Assert.Matches(new Regex(@"giving up its slot, 0 workers remain"), pyhost.Output);
        Assert.Matches(new Regex(@"\[CRITICAL\] No worker is serving and none can boot"), pyhost.Output);
    }

    /// <summary>gunicorn 20.1 (Debian 12) exits 3 (WORKER_BOOT_ERROR) when the app's import fails and 4
    /// (APP_LOAD_ERROR) when the module imports but holds no usable app. Both servers are run on each case.</summary>
    [Theory]
    [InlineData("nosuchmodule:app", 3)]
    [InlineData("import_raises:app", 3)]
    [InlineData("holds_no_app", 4)]
    [InlineData("holds_no_app:missing", 4)]
    public async Task ExitStatusesAreGunicorns(string app, int expected)
    {
        var gunicorn = await Ops.RunAsync("/usr/bin/gunicorn", ["-b", Ops.Bind(Ops.FreePort()), "--chdir", Repository.AppsDirectory, app]);
        var pyhost = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(app, "-b", Ops.Bind(Ops.FreePort()), "-w", "2"));

        Assert.True(gunicorn.ExitCode == expected, $"Debian's gunicorn exited {gunicorn.ExitCode} for {app}, not {expected}:\n{gunicorn.Output}");
        Assert.True(pyhost.ExitCode == expected, $"pyhost exited {pyhost.ExitCode} for {app}, where gunicorn exits {expected}:\n{pyhost.Output}");
    }
}
