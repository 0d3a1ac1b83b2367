using Microsoft.Extensions.Logging;
using PyHost.Hosting.Logging;
using PyHost.Http;
using PyHost.Http.Listening;
using PyHost.Workers.Posix;
using PyHost.Workers.Python;

namespace PyHost.Hosting;

// The small steps of a server's life: the process name, stale runtime directories, one-line start-up errors, logs.
public static partial class Serving
{
    /// <summary>--name: the kernel's process name (comm, 15 bytes) that ps, top and pgrep show. Written through
    /// /proc/self/comm, which names the whole process whichever thread writes it.</summary>
    private static void SetProcessName(string? name)
    {
        if (name is null)
        {
            return;
        }
        try
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(name);
            File.WriteAllBytes("/proc/self/comm", bytes.Length > 15 ? bytes[..15] : bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux's /proc: the name stays pyhost.
        }
    }

    /// <summary>Runtime directories of PyHost servers that were killed are removed at start (their pid is gone).</summary>
    private static void RemoveStaleRuntimeDirectories(ILogger log)
    {
        foreach (string directory in RuntimeDirectory.RemoveStale(RuntimeDirectory.Parent))
        {
            LogStaleRuntimeDirectory(log, directory);
        }
    }

    /// <summary>Runs a start-up step whose failures are the user's to fix: any of them becomes one line and status 1.</summary>
    private static T StartupStep<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception ex) when (ex is FileOpenException or ListenException or PrivilegeException)
        {
            throw new StartupException(ex.Message);
        }
    }

    private static void StartupStep(Action step) => StartupStep(() =>
    {
        step();
        return true;
    });

    /// <summary>SIGUSR1: every log file is opened again by its name (the workers' output goes through the error log).</summary>
    private static void ReopenLogs(ErrorLog errorLog, AccessLog? accessLog, ILogger log)
    {
        if (errorLog.Reopen() is { } problem)
        {
            LogReopenFailed(log, problem);
        }
        if (accessLog is not null)
        {
            accessLog.ReopenFailed ??= problem => LogReopenFailed(log, problem);
            accessLog.Reopen();
        }
        LogReopened(log);
    }
}

/// <summary>A start-up failure the user can fix (a path, a port, an account): PyHost prints the one line and exits 1.</summary>
public sealed class StartupException(string message, int exitStatus = 1) : Exception(message)
{
    /// <summary>1 for what went wrong while starting; 2 for a mistake in the configuration (a certificate file).</summary>
    public int ExitStatus { get; } = exitStatus;
}
