using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>What PyHost leaves in the app's environment and on disk, and what it prints when things go wrong.</summary>
public sealed class HygieneTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("pyhost-hygiene-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task TheAppAndItsSubprocessesSeeNoneOfPyHostsVariablesOnlyTheirOwn()
    {
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port,
            Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1", "--threads", "2", "--name", "hygiene", "-e", "PYHOST_SITE_SETTING=the app's own"));

        var answer = (await Ops.GetAsync(port, "/")).AssertStatus(200).Json();

        // PYHOST_TOKEN, PYHOST_SOCKET and the rest of the worker's settings are gone; what the user gave with -e stays.
        Assert.Equal("[\"PYHOST_SITE_SETTING\"]", answer.GetProperty("pyhost_environ").GetRawText());
        Assert.Equal("[\"PYHOST_SITE_SETTING\"]", answer.GetProperty("pyhost_subprocess_environ").GetRawText());
    }

    [Fact]
    public async Task AFrontWithoutTlsDoesNotLoadOpenSsl()
    {
        // libcrypto alone is 3.4 MB of the front's resident memory; only TLS (and the rare multipart byte range) needs it.
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "2"));

        (await Ops.GetAsync(port, "/")).AssertStatus(200);

        string[] openSsl = File.ReadLines($"/proc/{pyhost.Id}/maps").Where(line => line.Contains("libcrypto") || line.Contains("libssl")).ToArray();
        Assert.Empty(openSsl);
    }

    [Fact]
    public async Task RuntimeDirectoriesOfServersThatAreGoneAreRemovedAtStart()
    {
        // Runtime directories live in $XDG_RUNTIME_DIR; this test gives PyHost one of its own.
        var gonePid = await PidOfAProcessThatHasExitedAsync();
        var stale = Directory.CreateDirectory(Path.Combine(directory, $"pyhost-{gonePid}-0123456789abcdef012")).FullName;
        File.WriteAllText(Path.Combine(stale, "workers.sock"), "");
        var live = Directory.CreateDirectory(Path.Combine(directory, $"pyhost-{Environment.ProcessId}-0123456789abcdef012")).FullName;
        var other = Directory.CreateDirectory(Path.Combine(directory, "pyhost-notapid")).FullName;
        var port = Ops.FreePort();

        await using var pyhost = TestProcess.Start(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1"), Repository.AppsDirectory,
            new Dictionary<string, string?> { ["XDG_RUNTIME_DIR"] = directory });
        await pyhost.WaitForOutputAsync(TestProcess.ListeningOn($"http://127.0.0.1:{port}"), TestProcess.StartTimeout);

        Assert.False(Directory.Exists(stale), $"{stale} was left.\n{pyhost.Describe()}");
        Assert.True(Directory.Exists(live), "The runtime directory of a running process was removed.");
        Assert.True(Directory.Exists(other), "A directory not named pyhost-PID-... was removed.");
        Assert.Contains($"Removed {stale}, left by a pyhost that is no longer running", pyhost.Output);
    }

    [Fact]
    public async Task AnImportTracebackIsPrintedOnceHoweverManyWorkersFail()
    {
        var run = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve("nosuchmodule:app", "-b", Ops.Bind(Ops.FreePort()), "-w", "3"));

        Assert.Equal(3, run.ExitCode);
        Assert.Equal(1, Ops.CountLines(run.Output, new Regex("ModuleNotFoundError: No module named 'nosuchmodule'")));
        Assert.Equal(1, Ops.CountLines(run.Output, new Regex("Traceback \\(most recent call last\\)")));
    }

    [Fact]
    public async Task AVirtualenvThatNoLongerExistsGetsAWarning()
    {
        var gone = Path.Combine(directory, "deleted-venv");
        // No --python: PyHost looks at $VIRTUAL_ENV, finds nothing there, and falls back (here to python3 on PATH).
        List<string> serve = ["serve", Ops.App, "--chdir", Repository.AppsDirectory, "-b", Ops.Bind(Ops.FreePort()), "-w", "1"];
        await using var pyhost = TestProcess.Start(Repository.PyHostExecutable, serve, Repository.AppsDirectory,
            new Dictionary<string, string?> { ["VIRTUAL_ENV"] = gone, ["PATH"] = "/usr/bin:/bin" });

        await pyhost.WaitForOutputAsync(
            new Regex($@"\[WARNING\] \$VIRTUAL_ENV is {Regex.Escape(gone)}, which has no bin/python .*; using /usr/bin/python3 \(python3 on PATH\)"),
            TestProcess.StartTimeout);
    }

    [Fact]
    public async Task TheRootHelpShowsAppAsOptional()
    {
        var run = await Ops.RunAsync(Repository.PyHostExecutable, ["--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(new Regex(@"(?m)^\s+serve \[APP\]\s+Serve"), run.Output);
    }

    private static async Task<int> PidOfAProcessThatHasExitedAsync()
    {
        using var process = Process.Start("/bin/true")!;
        await process.WaitForExitAsync();
        Assert.False(Directory.Exists($"/proc/{process.Id}"));
        return process.Id;
    }
}
