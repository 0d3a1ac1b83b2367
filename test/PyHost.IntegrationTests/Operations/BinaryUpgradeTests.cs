using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Operations;

/// <summary>
/// SIGUSR2, the binary upgrade: the executable is replaced on disk (as a package upgrade or `mv` does), PyHost starts
/// the new one with its listening sockets, the new one boots its workers, and only then does the old one stop
/// accepting and drain. Under continuous load, wrk sees no failed request, and the new process answers.
/// </summary>
[Collection(LoadTestCollection.Name)]
public sealed class BinaryUpgradeTests(ITestOutputHelper output) : IDisposable
{
    private const int SigUsr2 = 12;

    private readonly string directory = Ops.OpenDirectory("pyhost-upgrade-");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Usr2UnderWrkLoadReplacesTheServerWithNoFailedRequest()
    {
        var executable = Path.Combine(directory, "pyhost");
        File.Copy(Repository.PyHostExecutable, executable);
        var pidFile = Path.Combine(directory, "site.pid");
        var unixSocket = Path.Combine(directory, "site.sock");
        var port = Ops.FreePort();
        await using var old = TestProcess.Start(executable,
            Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-b", $"unix:{unixSocket}", "-w", "2", "--pid", pidFile), Repository.AppsDirectory);
        int? successor = null;
        try
        {
            await old.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);
            Assert.Equal(old.Id, (await Ops.GetAsync(port, "/whoami")).AssertStatus(200).Json().GetProperty("ppid").GetInt32());

            // A long run, ended a moment after the old server has gone: a busy machine may take its time to boot the
            // new one, and the hand-over must happen under load.
            using var stopLoad = new CancellationTokenSource();
            var load = Wrk.RunAsync($"http://127.0.0.1:{port}/whoami", connections: 16, duration: TimeSpan.FromSeconds(120), stopLoad.Token);
            await Task.Delay(TimeSpan.FromSeconds(2));
            // A new build replaces the file: renamed over it, as `make build`, install(1) and dpkg do (the running
            // process keeps its old, now deleted, inode).
            File.Copy(Repository.PyHostExecutable, executable + ".new");
            File.Move(executable + ".new", executable, overwrite: true);
            var mark = old.LineCount;
            Posix.SendSignal(old.Id, SigUsr2);

            var handedOver = await old.WaitForOutputAsync(
                new Regex(@"The new pyhost \(pid (?<pid>\d+)\) is serving: this one stops accepting"), TimeSpan.FromSeconds(30), mark);
            successor = int.Parse(handedOver.Groups["pid"].Value);
            Assert.Equal(0, await old.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            var stillLoaded = !load.IsCompleted;
            await Task.Delay(TimeSpan.FromSeconds(1));
            stopLoad.Cancel();
            var report = await load;

            output.WriteLine($"USR2 under load: {report.Requests} requests, {report.NonSuccessResponses} not 2xx, socket errors {report.SocketErrors}");
            Assert.True(stillLoaded, "wrk finished before the old server had exited: the hand-over was not under load.");
            Assert.True(report.Requests > 0, $"wrk counted no requests:\n{report.Text}");
            Assert.True(report.NonSuccessResponses == 0, $"{report.NonSuccessResponses} responses were not 2xx during the upgrade:\n{report.Text}");
            Assert.True(report.SocketErrors.Total == 0, $"wrk saw socket errors during the upgrade: {report.SocketErrors}\n{report.Text}");
            Assert.Equal(successor.ToString(), File.ReadAllText(pidFile).Trim());
            Assert.Equal(successor, (await Ops.GetAsync(port, "/whoami")).AssertStatus(200).Json().GetProperty("ppid").GetInt32());
            // The Unix socket went over too, under the same name: the old process must not remove the file.
            Assert.Equal(successor, (await Ops.GetAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(unixSocket), "/whoami"))
                .AssertStatus(200).Json().GetProperty("ppid").GetInt32());
        }
        finally
        {
            output.WriteLine(old.Output);
            if (successor is { } pid && Posix.IsAlive(pid))
            {
                Posix.SendSignal(pid, Posix.SigTerm);
                if (!await Eventually.HoldsAsync(() => !Posix.IsAlive(pid), TimeSpan.FromSeconds(15)))
                {
                    Posix.SendSignal(pid, Posix.SigKill);
                }
            }
        }
    }

    [Fact]
    public async Task AFailedUpgradeLeavesTheOldServerServing()
    {
        var executable = Path.Combine(directory, "pyhost");
        File.Copy(Repository.PyHostExecutable, executable);
        var port = Ops.FreePort();
        await using var old = TestProcess.Start(executable, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1"), Repository.AppsDirectory);
        await old.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);

        // The new "binary" cannot start a server: it exits at once.
        File.WriteAllText(executable + ".new", "#!/bin/sh\necho 'broken build' >&2\nexit 1\n");
        File.SetUnixFileMode(executable + ".new", (UnixFileMode)0b111_101_101);
        File.Move(executable + ".new", executable, overwrite: true);
        Posix.SendSignal(old.Id, SigUsr2);

        await old.WaitForOutputAsync(new Regex(@"Upgrade failed, this pyhost keeps serving: the new pyhost \(pid \d+\) exited with status 1"), TimeSpan.FromSeconds(20));
        Assert.Equal(old.Id, (await Ops.GetAsync(port, "/whoami")).AssertStatus(200).Json().GetProperty("ppid").GetInt32());
    }
}
