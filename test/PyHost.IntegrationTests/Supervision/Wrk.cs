using System.Diagnostics;
using System.Globalization;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>Runs Debian's wrk (scripts/install-deps.sh installs it) and parses what it counted.</summary>
public static class Wrk
{
    public const string Executable = "/usr/bin/wrk";

    /// <summary>
    /// wrk for <paramref name="duration"/> with <paramref name="connections"/> keep-alive connections over two threads.
    /// Its per-request timeout is 10 s, not its default 2 s: on a busy 2-core machine a slow answer is not a failure,
    /// a dropped one is.
    /// </summary>
    public static Task<WrkReport> RunAsync(string url, int connections, TimeSpan duration) =>
        RunAsync(url, connections, duration, CancellationToken.None);

    /// <summary>
    /// As above, but <paramref name="stopEarly"/> ends the run before <paramref name="duration"/> (SIGINT: wrk stops
    /// and reports what it counted), so a test under load can give a slow machine a long run and still end it as soon
    /// as what it watches is over.
    /// </summary>
    public static async Task<WrkReport> RunAsync(string url, int connections, TimeSpan duration, CancellationToken stopEarly)
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"{Executable} is missing; scripts/install-deps.sh test installs it.", Executable);
        }
        var startInfo = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-t", "2", "-c", connections.ToString(CultureInfo.InvariantCulture),
                     "-d", $"{(int)duration.TotalSeconds}s", "--timeout", "10s", url })
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{Executable} did not start.");
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        using var interrupt = stopEarly.Register(() =>
        {
            if (!process.HasExited)
            {
                PyHost.IntegrationTests.Infrastructure.Posix.SendSignal(process.Id, 2);
            }
        });
        var limit = duration + TimeSpan.FromSeconds(30);
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"wrk was still running {limit.TotalSeconds} s after it started a {duration.TotalSeconds} s run.");
        }
        var text = await standardOutput + await standardError;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk exited with {process.ExitCode}:\n{text}");
        }
        return WrkReport.Parse(text);
    }
}
