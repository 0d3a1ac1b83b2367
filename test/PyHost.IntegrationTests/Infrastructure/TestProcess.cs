using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// One run of the pyhost binary: its stdout and stderr captured line by line, a wait for a line, a graceful stop.
/// Dispose always leaves nothing running: SIGTERM first, then a kill of the tree this test started.
/// </summary>
public sealed class TestProcess : IAsyncDisposable
{
    /// <summary>How long a start may take: pyhost prints "Listening on" only once a worker has imported the app, which on
    /// a loaded two-core machine takes tens of seconds for a framework (a bound on waiting, not a speed target).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly Process process;
    private readonly List<(bool IsStandardError, string Text)> lines = [];

    private TestProcess(Process process, string commandLine)
    {
        this.process = process;
        CommandLine = commandLine;
    }

    public string CommandLine { get; }

    /// <summary>The pid, kept so a disposed process can still be described.</summary>
    public int Id { get; private set; }

    public bool HasExited => process.HasExited;

    /// <summary>How many lines were captured so far: a mark to read or wait from, so a test sees only its own lines.</summary>
    public int LineCount
    {
        get
        {
            lock (lines)
            {
                return lines.Count;
            }
        }
    }

    public string Output => OutputSince(0);

    public string StandardError
    {
        get
        {
            lock (lines)
            {
                return string.Join('\n', lines.Where(line => line.IsStandardError).Select(line => line.Text));
            }
        }
    }

    public static TestProcess Start(IEnumerable<string> arguments, string? workingDirectory = null) =>
        Start(Repository.PyHostExecutable, arguments, workingDirectory ?? Repository.AppsDirectory);

    /// <summary>
    /// Starts any command (pyhost, gunicorn, manage.py); <paramref name="environment"/> adds variables to this
    /// process's, and removes those set to null.
    /// </summary>
    public static TestProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory,
                                      IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);   // null: the variable must not be inherited
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }
        var started = new TestProcess(new Process { StartInfo = startInfo }, Path.GetFileName(fileName) + " " + string.Join(' ', startInfo.ArgumentList));
        started.process.OutputDataReceived += (_, e) => started.Append(isStandardError: false, e.Data);
        started.process.ErrorDataReceived += (_, e) => started.Append(isStandardError: true, e.Data);
        started.process.Start();
        started.Id = started.process.Id;
        started.process.BeginOutputReadLine();
        started.process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Starts pyhost and waits until it prints `Listening on URL` for every URL (workers are then ready).</summary>
    public static async Task<TestProcess> StartServingAsync(
        IEnumerable<string> arguments, IEnumerable<string> listeningUrls, string? workingDirectory = null)
    {
        var started = Start(arguments, workingDirectory);
        try
        {
            foreach (var url in listeningUrls)
            {
                await started.WaitForOutputAsync(ListeningOn(url), StartTimeout);
            }
            return started;
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    /// <summary>The ready line of the CLI contract; the lookahead keeps port 80 from matching 8080.</summary>
    public static Regex ListeningOn(string url) => new(Regex.Escape("Listening on " + url) + @"(?![\w.:])");

    public string OutputSince(int lineIndex)
    {
        lock (lines)
        {
            return string.Join('\n', lines.Skip(lineIndex).Select(line => line.Text));
        }
    }

    /// <summary>The first line from <paramref name="fromLine"/> on that matches; fails with the whole output on timeout or exit.</summary>
    public async Task<Match> WaitForOutputAsync(Regex pattern, TimeSpan timeout, int fromLine = 0)
    {
        var deadline = Stopwatch.StartNew();
        var next = fromLine;
        while (true)
        {
            var exitedBeforeLooking = process.HasExited;
            List<string> fresh;
            lock (lines)
            {
                fresh = lines.Skip(next).Select(line => line.Text).ToList();
            }
            next += fresh.Count;
            foreach (var line in fresh)
            {
                if (pattern.Match(line) is { Success: true } match)
                {
                    return match;
                }
            }
            if (exitedBeforeLooking)
            {
                await DrainOutputAsync();
                if (LineCount == next)
                {
                    throw new InvalidOperationException(
                        $"pyhost exited with code {process.ExitCode} before printing a line matching /{pattern}/.\n{Describe()}");
                }
                continue;
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"No line matching /{pattern}/ within {timeout.TotalSeconds} s.\n{Describe()}");
            }
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Waits for the process to exit on its own and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!process.HasExited)
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"pyhost still running after {timeout.TotalSeconds} s.\n{Describe()}");
            }
            await Task.Delay(PollInterval);
        }
        await DrainOutputAsync();
        return process.ExitCode;
    }

    public void Terminate() => Posix.SendSignal(process.Id, Posix.SigTerm);

    /// <summary>SIGTERM, a wait, then SIGKILL for the whole tree as a last resort. Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan gracefulTimeout)
    {
        if (!process.HasExited)
        {
            try
            {
                Terminate();
                return await WaitForExitAsync(gracefulTimeout);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        return await WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>The command line and everything it printed, for failure messages.</summary>
    public string Describe() => $"--- {CommandLine} (pid {Id}) ---\n{Output}\n--- end of output ---";

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            process.Dispose();
        }
    }

    private void Append(bool isStandardError, string? text)
    {
        if (text is null)
        {
            return;
        }
        lock (lines)
        {
            lines.Add((isStandardError, text));
        }
    }

    /// <summary>After exit, lets the readers hand over the last lines (bounded: a leaked pipe must not hang a test).</summary>
    private async Task DrainOutputAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
