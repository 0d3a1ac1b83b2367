using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Top;

/// <summary>`pyhost top` in a real terminal: tmux runs it (a server of the test's own, by socket name), capture-pane
/// reads the screen, send-keys quits.</summary>
public sealed class TopTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TopShowsTheWorkersAndFollowsThemEverySecondInATerminal()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2"]);
        List<int> pids = (await site.WorkersAsync()).Select(w => w.GetProperty("pid").GetInt32()).ToList();
        using var tmux = new Tmux();
        tmux.Start(120, 30, $"{Repository.PyHostExecutable} top --pid {site.PidFile}");

        string screen = "";
        Assert.True(await Until.HoldsAsync(async () =>
        {
            screen = await tmux.CaptureAsync();
            return pids.All(pid => screen.Contains(pid.ToString())) && CountWord(screen, "idle") == 2;
        }, TimeSpan.FromSeconds(15)), $"top never showed both idle workers:\n{screen}");
        Assert.Contains("main observed:app  workers 2/2", screen);

        Task<RawHttpResponse> slow = site.GetAsync("/sleep?seconds=4");
        Assert.True(await Until.HoldsAsync(async () =>
        {
            screen = await tmux.CaptureAsync();
            return screen.Contains("busy") && screen.Contains("GET /sleep?seconds=4") && CountWord(screen, "idle") == 1;
        }, TimeSpan.FromSeconds(10)), $"top never showed the busy worker:\n{screen}");
        output.WriteLine(screen);
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "top")).FullName, "top.txt"), screen);

        await tmux.SendKeysAsync("q");
        Assert.True(await Until.HoldsAsync(async () => !await tmux.IsRunningAsync(), TimeSpan.FromSeconds(5)), "top did not quit on q");
        (await slow).AssertStatus(200);
    }

    [Fact]
    public async Task TopOncePrintsTheTableAndExits()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);
        int pid = (await site.WorkersAsync())[0].GetProperty("pid").GetInt32();

        await using TestProcess top = TestProcess.Start(Repository.PyHostExecutable, ["top", "--control", site.ControlSocket, "--once"], site.Directory);

        Assert.Equal(0, await top.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains(pid.ToString(), top.Output);
        Assert.Contains("idle", top.Output);
    }

    [Fact]
    public async Task TopWithoutAServerSaysSoAndExits1()
    {
        await using TestProcess top = TestProcess.Start(Repository.PyHostExecutable, ["top", "--control", "/nonexistent/control.sock", "--once"], Repository.AppsDirectory);

        Assert.Equal(1, await top.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("cannot reach the server's admin API at /nonexistent/control.sock", top.StandardError);
    }

    private static int CountWord(string screen, string word) =>
        screen.Split((char[])[' ', '\n', '│', '|'], StringSplitOptions.RemoveEmptyEntries).Count(token => token == word);

    /// <summary>A tmux server of the test's own (-L NAME), one session, killed on dispose.</summary>
    private sealed class Tmux : IDisposable
    {
        private readonly string _socket = "pyhost-test-" + Guid.NewGuid().ToString("N")[..12];

        public void Start(int columns, int rows, string command) =>
            Run(["new-session", "-d", "-s", "top", "-x", columns.ToString(), "-y", rows.ToString(), command]).WaitForExit();

        public async Task<string> CaptureAsync()
        {
            using Process capture = Run(["capture-pane", "-p", "-t", "top"]);
            string screen = await capture.StandardOutput.ReadToEndAsync();
            await capture.WaitForExitAsync();
            return screen;
        }

        public async Task SendKeysAsync(string keys)
        {
            using Process send = Run(["send-keys", "-t", "top", keys]);
            await send.WaitForExitAsync();
        }

        public async Task<bool> IsRunningAsync()
        {
            using Process has = Run(["has-session", "-t", "top"]);
            await has.WaitForExitAsync();
            return has.ExitCode == 0;
        }

        private Process Run(string[] arguments)
        {
            var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-L");
            start.ArgumentList.Add(_socket);
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment["TERM"] = "xterm-256color";
            return Process.Start(start)!;
        }

        public void Dispose() => Run(["kill-server"]).WaitForExit(5000);
    }
}
