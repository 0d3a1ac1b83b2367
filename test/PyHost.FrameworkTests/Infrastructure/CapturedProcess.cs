using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>
/// A command the tests start with an environment of their own (gunicorn, pyhost with $VIRTUAL_ENV, manage.py): its
/// stdout and stderr as one list of lines, a wait for a line or for the exit, and a stop that leaves nothing
/// running: SIGTERM to the process this test started, then a kill of that process's tree.
/// </summary>
public sealed class CapturedProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly List<string> lines = [];

    private CapturedProcess(Process process, string commandLine)
    {
        this.process = process;
        CommandLine = commandLine;
    }

    public string CommandLine { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

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

    /// <summary>Starts the command; <paramref name="environment"/> adds variables to this process's, and removes those set to null.</summary>
    public static CapturedProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string argument in arguments)
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
        var started = new CapturedProcess(new Process { StartInfo = startInfo }, $"{Path.GetFileName(fileName)} {string.Join(' ', startInfo.ArgumentList)}");
        started.process.OutputDataReceived += (_, e) => started.Append(e.Data);
        started.process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        started.process.Start();
        started.process.BeginOutputReadLine();
        started.process.BeginErrorReadLine();
        return started;
    }

    public string OutputSince(int lineIndex)
    {
        lock (lines)
        {
            return string.Join('\n', lines.Skip(lineIndex));
        }
    }

    public string Describe() => $"--- {CommandLine} (pid {process.Id}) ---\n{OutputSince(0)}\n--- end of output ---";

    /// <summary>Waits for a line matching <paramref name="pattern"/>; fails with the whole output on timeout or exit.</summary>
    public async Task WaitForOutputAsync(Regex pattern, TimeSpan timeout, int fromLine = 0)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            bool exited = process.HasExited;
            lock (lines)
            {
                if (lines.Skip(fromLine).Any(pattern.IsMatch))
                {
                    return;
                }
            }
            if (exited)
            {
                await process.WaitForExitAsync();   // the last lines reach the handlers before this returns
                lock (lines)
                {
                    if (lines.Skip(fromLine).Any(pattern.IsMatch))
                    {
                        return;
                    }
                }
                throw new InvalidOperationException($"The server exited with {process.ExitCode} before printing /{pattern}/.\n{Describe()}");
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"No line matching /{pattern}/ within {timeout.TotalSeconds} s.\n{Describe()}");
            }
            await Task.Delay(20);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Still running after {timeout.TotalSeconds} s.\n{Describe()}");
        }
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                Posix.SendSignal(process.Id, Posix.SigTerm);
                await WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        finally
        {
            process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }
}
