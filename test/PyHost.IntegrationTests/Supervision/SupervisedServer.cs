using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>
/// A pyhost serving apps/supervision.py from a directory of its own (mode 755, files 644, so a `--user nobody`
/// worker can read it), so a test may rewrite the code under a running server. It has a pid file there, site.pid,
/// for `pyhost reload --pid`. Dispose stops it, writes everything it printed to the test's output, and removes the
/// directory.
/// </summary>
public sealed class SupervisedServer : IAsyncDisposable
{
    public const string App = "supervision:app";

    private const string ModuleFile = "supervision.py";
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101;
    private const UnixFileMode FileMode = (UnixFileMode)0b110_100_100;

    private readonly ITestOutputHelper output;

    private SupervisedServer(PyHostServer server, string appDirectory, ITestOutputHelper output)
    {
        Server = server;
        AppDirectory = appDirectory;
        this.output = output;
    }

    public PyHostServer Server { get; }

    public TestProcess Process => Server.Process;

    /// <summary>The front's pid: workers are its children.</summary>
    public int Pid => Server.Process.Id;

    public string AppDirectory { get; }

    public string PidFile => Path.Combine(AppDirectory, "site.pid");

    /// <summary>The admin API's socket, beside the pid file.</summary>
    public string ControlSocket => Path.Combine(AppDirectory, "site.control.sock");

    public string Url => $"http://{Server.Authority}/";

    /// <summary>The worker processes running now (retiring ones too, until they exit).</summary>
    public IReadOnlyList<int> Workers => Posix.Descendants(Pid);

    /// <summary>
    /// Starts `pyhost serve supervision:app --chdir DIR --pid DIR/site.pid OPTIONS` and waits past the control
    /// socket's line: the signal handlers are set up right after it. <paramref name="files"/> are extra files
    /// (name, content) written beside the app first.
    /// </summary>
    public static async Task<SupervisedServer> StartAsync(
        ITestOutputHelper output, IEnumerable<string> options, IEnumerable<(string Name, string Content)>? files = null)
    {
        var directory = Directory.CreateTempSubdirectory("pyhost-supervision-").FullName;
        File.SetUnixFileMode(directory, DirectoryMode);
        WriteFile(directory, ModuleFile, File.ReadAllText(Path.Combine(Repository.AppsDirectory, ModuleFile)));
        foreach (var (name, content) in files ?? [])
        {
            WriteFile(directory, name, content);
        }
        PyHostServer server;
        try
        {
            // No .pyc: Python trusts a cached one whose source has the same size and mtime second, and the tests
            // rewrite the module quickly. What is tested is which code the workers import, not Python's cache.
            server = await PyHostServer.StartAsync(
                App, ["--chdir", directory, "--pid", Path.Combine(directory, "site.pid"), "-e", "PYTHONDONTWRITEBYTECODE=1", .. options], directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
        var started = new SupervisedServer(server, directory, output);
        try
        {
            await server.Process.WaitForOutputAsync(new Regex("Control socket: "), TimeSpan.FromSeconds(10));
            return started;
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    /// <summary>Rewrites the served module with its VERSION line set to <paramref name="version"/>.</summary>
    public void WriteVersion(string version) =>
        WriteModule(File.ReadAllText(Path.Combine(Repository.AppsDirectory, ModuleFile)).Replace("VERSION = \"v1\"", $"VERSION = \"{version}\""));

    /// <summary>Replaces the served module's source (a broken deploy).</summary>
    public void WriteModule(string source) => WriteFile(AppDirectory, ModuleFile, source);

    public void WriteFile(string name, string content) => WriteFile(AppDirectory, name, content);

    /// <summary>GET on a new connection; the answer must be a 200 from the app.</summary>
    public async Task<AppAnswer> GetAsync(string target = "/") => AppAnswer.From(await Server.GetAsync(target));

    /// <summary>Polls until exactly <paramref name="count"/> worker processes run; false after <paramref name="timeout"/>.</summary>
    public Task<bool> WorkerCountBecomesAsync(int count, TimeSpan timeout) =>
        Eventually.HoldsAsync(() => Workers.Count == count, timeout);

    /// <summary>How many lines since <paramref name="fromLine"/> match.</summary>
    public int CountLines(Regex pattern, int fromLine = 0) =>
        Process.OutputSince(fromLine).Split('\n').Count(line => pattern.IsMatch(line));

    /// <summary>Runs `pyhost ARGS` (reload, scale) to its end; returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunCommandAsync(params string[] arguments)
    {
        await using var command = TestProcess.Start(arguments);
        var exitCode = await command.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exitCode, command.Output);
    }

    public async ValueTask DisposeAsync()
    {
        var describe = $"--- {Process.CommandLine} (pid {Pid}) ---";
        try
        {
            await Server.DisposeAsync();
        }
        finally
        {
            output.WriteLine($"{describe}\n{Process.Output}\n--- end of pyhost output ---");
            Directory.Delete(AppDirectory, recursive: true);
        }
    }

    private static void WriteFile(string directory, string name, string content)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, FileMode);
    }
}

/// <summary>What apps/supervision.py answers: who served the request, and with which code.</summary>
public sealed record AppAnswer(int Pid, long Thread, string Version, string? Extra, bool Multithread, int Uid, long ResidentMib)
{
    /// <summary>The worker's resident memory when the request began.</summary>
    public long ResidentAtStartMib { get; init; }

    public static AppAnswer From(RawHttpResponse response)
    {
        var json = response.AssertStatus(200).Json();
        return new AppAnswer(
            json.GetProperty("pid").GetInt32(),
            json.GetProperty("thread").GetInt64(),
            json.GetProperty("version").GetString()!,
            json.GetProperty("extra").GetString(),
            json.GetProperty("multithread").GetBoolean(),
            json.GetProperty("uid").GetInt32(),
            json.GetProperty("rss_mib").GetInt64())
        {
            ResidentAtStartMib = json.GetProperty("rss_at_start_mib").GetInt64(),
        };
    }
}
