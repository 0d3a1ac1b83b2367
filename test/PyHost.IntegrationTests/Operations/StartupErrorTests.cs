using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>
/// A mistake in how PyHost is started (a port in use, a port below 1024 without root, a socket, pid file or log file
/// in a missing or unwritable directory) is one line naming the address or path and the cause, and exit status 1:
/// never a .NET stack trace, never a misleading socket error number. The unwritable cases run as nobody, so they need
/// root to start.
/// </summary>
public sealed class StartupErrorTests : IDisposable
{
    private readonly string directory = Ops.OpenDirectory("pyhost-errors-");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string RootOnlyDirectory
    {
        get
        {
            var path = Path.Combine(directory, "root-only");
            Directory.CreateDirectory(path);
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);   // 0755 root: nobody may enter, not write
            return path;
        }
    }

    [Fact]
    public async Task APortInUseIsOneLine()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var run = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(port)));

        AssertOneLineError(run, $"cannot listen on 127.0.0.1:{port}: address already in use");
    }

    /// <summary>nginx's and gunicorn's behaviour: a second server of the same user on a port in use does not share it
    /// (SO_REUSEPORT would let it, and the two would split the connections silently), it stops with one line.</summary>
    [Fact]
    public async Task ASecondPyHostOnThePortOfARunningOneIsOneLineAndTheFirstKeepsServing()
    {
        var port = Ops.FreePort();
        await using var first = await Ops.StartServingAsync(port, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1"));

        var second = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1"));

        AssertOneLineError(second, $"cannot listen on 127.0.0.1:{port}: address already in use");
        Assert.Equal(200, (await Ops.GetAsync(port, "/pid")).StatusCode);
        Assert.False(first.HasExited, first.Describe());
    }

    /// <summary>PyHost binds its port at start but listens only once its workers serve; another server that binds the
    /// port with SO_REUSEADDR meanwhile and listens first takes it. That is one line too, when Kestrel starts.</summary>
    [Fact]
    public async Task APortTakenWhileTheWorkersBootIsOneLine()
    {
        using var taker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taker.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));   // SOL_SOCKET, SO_REUSEADDR: as PyHost binds
        taker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)taker.LocalEndPoint!).Port;

        var run = Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1", "-e", "IMPORT_SECONDS=3"));
        await Task.Delay(TimeSpan.FromSeconds(1));   // PyHost has bound the port; its worker is still importing the app
        taker.Listen();

        AssertOneLineError(await run, $"cannot listen on 127.0.0.1:{port}: address already in use");
    }

    [Fact]
    public async Task AnAddressThisMachineDoesNotHaveIsOneLine()
    {
        var run = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", "198.18.0.77:8000"));

        AssertOneLineError(run, "cannot listen on 198.18.0.77:8000: 198.18.0.77 is not an address of this machine");
    }

    [RootFact]
    public async Task APortBelow1024WithoutRootIsOneLine()
    {
        var port = Ops.FreePrivilegedPort();

        var run = await Ops.RunAsNobodyAsync(Ops.Serve(Ops.App, "-b", Ops.Bind(port)));

        AssertOneLineError(run, $"cannot listen on 127.0.0.1:{port}: permission denied: ports below 1024 need root");
    }

    [Fact]
    public async Task AUnixSocketInAMissingDirectoryIsOneLine()
    {
        var socket = Path.Combine(directory, "missing", "site.sock");

        var run = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", $"unix:{socket}"));

        AssertOneLineError(run, $"cannot listen on unix:{socket}: directory {Path.GetDirectoryName(socket)} does not exist");
    }

    [RootFact]
    public async Task AUnixSocketInAnUnwritableDirectoryIsOneLine()
    {
        var socket = Path.Combine(RootOnlyDirectory, "site.sock");

        var run = await Ops.RunAsNobodyAsync(Ops.Serve(Ops.App, "-b", $"unix:{socket}"));

        AssertOneLineError(run, $"cannot listen on unix:{socket}: permission denied");
    }

    [Fact]
    public async Task APidFileInAMissingDirectoryIsOneLine()
    {
        var pidFile = Path.Combine(directory, "missing", "site.pid");

        var run = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(Ops.FreePort()), "--pid", pidFile));

        AssertOneLineError(run, $"cannot write the pid file {pidFile}: directory {Path.GetDirectoryName(pidFile)} does not exist");
    }

    [RootFact]
    public async Task APidFileInAnUnwritableDirectoryIsOneLine()
    {
        var pidFile = Path.Combine(RootOnlyDirectory, "site.pid");

        var run = await Ops.RunAsNobodyAsync(Ops.Serve(Ops.App, "-b", Ops.Bind(Ops.FreePort()), "--pid", pidFile));

        AssertOneLineError(run, $"cannot write the pid file {pidFile}: permission denied");
    }

    [Fact]
    public async Task AnErrorLogInAMissingDirectoryIsOneLine()
    {
        var log = Path.Combine(directory, "missing", "error.log");

        var run = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(Ops.FreePort()), "--error-logfile", log));

        AssertOneLineError(run, $"cannot open the error log {log}: directory {Path.GetDirectoryName(log)} does not exist");
    }

    [RootFact]
    public async Task AnAccessLogInAnUnwritableDirectoryIsOneLine()
    {
        var log = Path.Combine(RootOnlyDirectory, "access.log");

        var run = await Ops.RunAsNobodyAsync(Ops.Serve(Ops.App, "-b", Ops.Bind(Ops.FreePort()), "--access-logfile", log));

        AssertOneLineError(run, $"cannot open the access log {log}: permission denied");
    }

    private static void AssertOneLineError((int ExitCode, string Output, string StandardError) run, string expected)
    {
        var describe = $"exit status {run.ExitCode}, output:\n{run.Output}";
        Assert.True(run.ExitCode == 1, $"Expected exit status 1; {describe}");
        var errors = run.StandardError.Split('\n').Where(line => line.Contains("error", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(errors.Count == 1 && errors[0].StartsWith("pyhost: error: " + expected, StringComparison.Ordinal),
            $"Expected one line starting 'pyhost: error: {expected}'; {describe}");
        Assert.DoesNotMatch(Ops.StackTrace, run.Output);
    }
}
