using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>
/// PyHost under systemd: socket activation (driven by Debian's systemd-socket-activate, which hands over sockets as
/// systemd does), sd_notify on a datagram socket this test owns (as systemd's $NOTIFY_SOCKET), and the unit files and
/// logrotate snippet it ships, checked by systemd-analyze verify and logrotate.
/// </summary>
public sealed class SystemdTests : IDisposable
{
    private const string SocketActivate = "/usr/bin/systemd-socket-activate";

    private readonly string directory = Ops.OpenDirectory("pyhost-systemd-");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task SocketActivationServesTheInheritedTcpAndUnixSocketsAndTheWorkersDoNotInheritThem()
    {
        var port = Ops.FreePort();
        var unixSocket = Path.Combine(directory, "site.sock");
        // No -b: the sockets come from "systemd". The first connection starts PyHost, as with a socket unit.
        await using var activator = TestProcess.Start(SocketActivate,
            ["-l", Ops.Bind(port), "-l", unixSocket, Repository.PyHostExecutable, .. Ops.Serve(Ops.App, "-w", "2")], Repository.AppsDirectory);
        await activator.WaitForOutputAsync(new Regex($"Listening on {Regex.Escape(unixSocket)} as 4"), TestProcess.StartTimeout);

        var first = await Ops.GetAsync(port, "/first");   // waits in the socket's backlog while PyHost starts
        var overUnix = await Ops.GetAsync(new UnixDomainSocketEndPoint(unixSocket), "/over-unix");

        first.AssertStatus(200);
        overUnix.AssertStatus(200);
        var pyhost = activator.Id;   // systemd-socket-activate execs the service in its own process
        await activator.WaitForOutputAsync(new Regex($@"Serving http://127\.0\.0\.1:{port}, a socket inherited from systemd"), TestProcess.StartTimeout);
        Assert.DoesNotContain("8000", activator.Output);   // no default bind beside the inherited sockets
        var listening = new[] { SocketInode(pyhost, 3), SocketInode(pyhost, 4) };
        Assert.All(listening, inode => Assert.NotNull(inode));
        var workers = Posix.Descendants(pyhost);
        Assert.Equal(2, workers.Count);
        foreach (var worker in workers)
        {
            var inherited = Directory.GetFiles($"/proc/{worker}/fd").Select(link => new FileInfo(link).LinkTarget).Where(listening.Contains).ToList();
            Assert.True(inherited.Count == 0, $"Worker {worker} holds the listening socket(s) {string.Join(", ", inherited)}.");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NotifySocketHearsReadyReloadingWatchdogAndStopping(bool abstractName)
    {
        var name = abstractName ? $"pyhost-test-notify-{Guid.NewGuid():N}" : Path.Combine(directory, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(abstractName ? "\0" + name : name));
        var messages = new NotifyMessages(notify);
        var port = Ops.FreePort();
        await using var pyhost = TestProcess.Start(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1"), Repository.AppsDirectory,
            new Dictionary<string, string?>
            {
                ["NOTIFY_SOCKET"] = abstractName ? "@" + name : name,
                ["WATCHDOG_USEC"] = "400000",
                ["WATCHDOG_PID"] = null,
            });

        var ready = await messages.WaitForAsync(message => message.Contains("READY=1"), "READY=1");
        Assert.True(Ops.Accepts(port), "READY=1 came before PyHost accepted connections.");
        Assert.Contains($"STATUS=serving 1 workers on http://127.0.0.1:{port}", ready);
        await messages.WaitForAsync(message => message == "WATCHDOG=1", "a first WATCHDOG=1");
        await messages.WaitForAsync(message => message == "WATCHDOG=1", "a second WATCHDOG=1 (every 200 ms)");
        Assert.True((await Ops.GetAsync(port, "/")).AssertStatus(200).Json().GetProperty("notify_socket").ValueKind == System.Text.Json.JsonValueKind.Null,
            "The app can see $NOTIFY_SOCKET and could notify in PyHost's name.");

        // CLOCK_MONOTONIC, in microseconds (divided first: ticks times a million overflows after a few hours of uptime)
        var now = Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000);
        Posix.SendSignal(pyhost.Id, 1);
        var reloading = await messages.WaitForAsync(message => message.Contains("RELOADING=1"), "RELOADING=1");
        var monotonic = long.Parse(Regex.Match(reloading, @"MONOTONIC_USEC=(\d+)").Groups[1].Value);
        Assert.InRange(monotonic, now, now + 10_000_000);
        await messages.WaitForAsync(message => message.Contains("READY=1"), "READY=1 after the reload");

        pyhost.Terminate();
        await messages.WaitForAsync(message => message.Contains("STOPPING=1"), "STOPPING=1");
        Assert.Equal(0, await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task AfterUsr2TheSuccessorTellsSystemdItIsTheMainProcessAndThePredecessorSaysNoMore()
    {
        var name = Path.Combine(directory, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(name));
        var messages = new NotifyMessages(notify);
        var port = Ops.FreePort();
        await using var pyhost = TestProcess.Start(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1"), Repository.AppsDirectory,
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = name });
        await messages.WaitForAsync(message => message.Contains("READY=1"), "READY=1");
        await pyhost.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);
        int? successor = null;
        try
        {
            Posix.SendSignal(pyhost.Id, 12);   // SIGUSR2
            var ready = await messages.WaitForAsync(message => message.Contains("MAINPID="), "the successor's MAINPID=");
            successor = int.Parse(Regex.Match(ready, @"MAINPID=(\d+)").Groups[1].Value);

            Assert.Contains("READY=1", ready);
            Assert.NotEqual(pyhost.Id, successor);
            Assert.Equal(0, await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            await Task.Delay(500);
            Assert.DoesNotContain(messages.Received, message => message.Contains("STOPPING=1"));   // the service did not stop
            Assert.Equal(successor, (await Ops.GetAsync(port, "/whoami")).AssertStatus(200).Json().GetProperty("ppid").GetInt32());
        }
        finally
        {
            if (successor is { } pid && Posix.IsAlive(pid))
            {
                Posix.SendSignal(pid, Posix.SigTerm);
                await Eventually.HoldsAsync(() => !Posix.IsAlive(pid), TimeSpan.FromSeconds(15));
            }
        }
    }

    [Fact]
    public async Task TheUnitFilesPassSystemdAnalyzeVerify()
    {
        // Instances of the templates, with ExecStart pointing at the binary under test: verify checks that the
        // executable exists, and the tests do not install PyHost to /usr/bin (the .deb does).
        foreach (var unit in new[] { "pyhost@.service", "pyhost@.socket" })
        {
            var text = File.ReadAllText(Path.Combine(Repository.Root, "deploy", "systemd", unit)).Replace("/usr/bin/pyhost", Repository.PyHostExecutable);
            File.WriteAllText(Path.Combine(directory, unit.Replace("@.", "@site.")), text);
        }

        var run = await Ops.RunAsync("/usr/bin/systemd-analyze", ["verify", Path.Combine(directory, "pyhost@site.service"), Path.Combine(directory, "pyhost@site.socket")]);

        Assert.True(run.ExitCode == 0 && run.Output.Trim().Length == 0, $"systemd-analyze verify exited {run.ExitCode}:\n{run.Output}");
    }

    [Fact]
    public async Task TheLogrotateSnippetIsValid()
    {
        var run = await Ops.RunAsync("/usr/sbin/logrotate",
            ["--debug", "--state", Path.Combine(directory, "logrotate.state"), Path.Combine(Repository.Root, "deploy", "logrotate", "pyhost")]);

        Assert.True(run.ExitCode == 0, $"logrotate exited {run.ExitCode}:\n{run.Output}");
        Assert.DoesNotContain("error", run.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("rotating pattern: /var/log/pyhost/*.log", run.Output);
    }

    /// <summary>"socket:[INODE]" of a process's descriptor, or null.</summary>
    private static string? SocketInode(int pid, int descriptor) =>
        new FileInfo($"/proc/{pid}/fd/{descriptor}").LinkTarget is { } target && target.StartsWith("socket:", StringComparison.Ordinal) ? target : null;

    /// <summary>The datagrams PyHost sends, collected as they come.</summary>
    private sealed class NotifyMessages
    {
        private readonly List<string> received = [];
        private int taken;

        public IReadOnlyList<string> Received
        {
            get
            {
                lock (received)
                {
                    return received.ToList();
                }
            }
        }

        public NotifyMessages(Socket socket)
        {
            _ = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                while (true)
                {
                    int length;
                    try
                    {
                        length = await socket.ReceiveAsync(buffer);
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        return;
                    }
                    lock (received)
                    {
                        received.Add(Encoding.UTF8.GetString(buffer, 0, length));
                    }
                }
            });
        }

        /// <summary>The next message (after those already taken) that matches.</summary>
        public async Task<string> WaitForAsync(Func<string, bool> matches, string what)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                lock (received)
                {
                    for (; taken < received.Count; taken++)
                    {
                        if (matches(received[taken]))
                        {
                            return received[taken++];
                        }
                    }
                }
                await Task.Delay(20);
            }
            lock (received)
            {
                throw new TimeoutException($"No {what} on the notify socket within 20 s; received: {string.Join(" | ", received)}");
            }
        }
    }
}
