using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>
/// Signals work whatever disposition PyHost inherits: started by nohup or as a script's background job, SIGHUP,
/// SIGINT and SIGQUIT arrive ignored, and must still reload, stop and quit. And SIGTERM works in every state,
/// start-up included.
/// </summary>
public sealed class SignalTests
{
    private const int SigHup = 1;
    private const int SigInt = 2;
    private const int SigQuit = 3;

    // What nohup and `cmd &` in a non-interactive shell leave behind: the signals set to SIG_IGN across exec.
    private const string IgnoreThenExec =
        "import os, signal, sys\nfor s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT): signal.signal(s, signal.SIG_IGN)\nos.execv(sys.argv[1], sys.argv[1:])";

    [Theory]
    [InlineData(SigHup)]
    [InlineData(SigInt)]
    [InlineData(SigQuit)]
    public async Task ASignalInheritedAsIgnoredStillWorks(int signal)
    {
        var port = Ops.FreePort();
        await using var pyhost = TestProcess.Start(Repository.Python, ["-c", IgnoreThenExec, Repository.PyHostExecutable, .. Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1")],
            Repository.AppsDirectory);
        await pyhost.WaitForOutputAsync(TestProcess.ListeningOn($"http://127.0.0.1:{port}"), TestProcess.StartTimeout);
        await pyhost.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);
        var workers = Posix.Descendants(pyhost.Id);

        Posix.SendSignal(pyhost.Id, signal);

        switch (signal)
        {
            case SigHup:
                await pyhost.WaitForOutputAsync(new Regex(@"Reloaded: 1 workers of generation 1"), TimeSpan.FromSeconds(20));
                (await Ops.GetAsync(port, "/after-reload")).AssertStatus(200);
                break;
            case SigInt:
                Assert.Equal(0, await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(15)));
                Assert.Contains("Stopped", pyhost.Output);
                break;
            case SigQuit:
                Assert.Equal(0, await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(10)));
                Assert.True(await Eventually.HoldsAsync(() => workers.All(worker => !Posix.IsAlive(worker)), TimeSpan.FromSeconds(5)),
                    $"Workers still run after SIGQUIT.\n{pyhost.Describe()}");
                break;
        }
    }

    [Fact]
    public async Task SigtermDuringStartUpStopsAtOnce()
    {
        var port = Ops.FreePort();
        await using var pyhost = TestProcess.Start(Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1", "-e", "IMPORT_SECONDS=60"));
        await pyhost.WaitForOutputAsync(new Regex("Using Python"), TestProcess.StartTimeout);
        await Task.Delay(TimeSpan.FromSeconds(1));   // the worker is importing the app now
        var workers = Posix.Descendants(pyhost.Id);

        pyhost.Terminate();

        Assert.Equal(0, await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain("Listening on", pyhost.Output);
        Assert.True(await Eventually.HoldsAsync(() => workers.All(worker => !Posix.IsAlive(worker)), TimeSpan.FromSeconds(5)),
            $"The booting worker still runs.\n{pyhost.Describe()}");
    }
}
