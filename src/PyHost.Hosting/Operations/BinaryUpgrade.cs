using System.Diagnostics;
using System.Globalization;
using System.IO.Pipes;
using Microsoft.Extensions.Logging;
using PyHost.Http.Listening;
using PyHost.Workers.Posix;

namespace PyHost.Hosting.Operations;

/// <summary>
/// SIGUSR2, nginx's and gunicorn's binary upgrade with no downtime: PyHost starts the executable now at its own path
/// (the file that replaced it, after `mv` or a package upgrade), with the same arguments and environment, and hands
/// it the listening sockets by descriptor ($PYHOST_LISTEN_FDS) and a pipe ($PYHOST_UPGRADE_READY_FD). The successor
/// boots its workers, starts accepting, and writes "ready" to the pipe; only then does this process stop accepting
/// and drain. If the successor exits or does not get ready in time, this one keeps serving and says why.
/// </summary>
public sealed partial class BinaryUpgrade
{
    public const string ReadyVariable = "PYHOST_UPGRADE_READY_FD";
    public const string PredecessorVariable = "PYHOST_UPGRADE_FROM";

    private readonly ListenerSet _listeners;
    private readonly SystemdNotifier _notifier;
    private readonly TimeSpan _readyTimeout;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<int> _handedOver = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _successor;
    private int _running;

    public BinaryUpgrade(ListenerSet listeners, SystemdNotifier notifier, TimeSpan readyTimeout, ILogger logger)
    {
        _listeners = listeners;
        _notifier = notifier;
        _readyTimeout = readyTimeout;
        _logger = logger;
    }

    /// <summary>Variables this process removed from its own environment that the successor needs back.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> SuccessorEnvironment { get; init; } = [];

    /// <summary>Completes with the successor's pid once it serves.</summary>
    public Task<int> HandedOver => _handedOver.Task;

    /// <summary>The executable as it is on disk now: /proc/self/exe still names the path after the file was
    /// replaced, with " (deleted)" added.</summary>
    public static string CurrentExecutable()
    {
        string path = new FileInfo("/proc/self/exe").LinkTarget ?? Environment.ProcessPath ?? "pyhost";
        const string Deleted = " (deleted)";
        return path.EndsWith(Deleted, StringComparison.Ordinal) ? path[..^Deleted.Length] : path;
    }

    /// <summary>Starts the successor, unless an upgrade is already running or done.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            LogAlreadyUpgrading();
            return;
        }
        _ = RunAsync();
    }

    /// <summary>At a stop before the hand-over: a successor still booting is stopped too (it would serve nothing:
    /// this process's stop closes the listeners it was given only if it had not yet started).</summary>
    public void AbandonIfRunning()
    {
        if (!_handedOver.Task.IsCompleted && _successor is { HasExited: false } successor)
        {
            LogAbandoned(successor.Id);
            _ = Workers.Supervision.Signals.TrySend(successor.Id, SignalRouter.SigTerm);
        }
    }

    private async Task RunAsync()
    {
        string executable = CurrentExecutable();
        try
        {
            if (!File.Exists(executable))
            {
                LogFailed($"{executable} does not exist");
                return;
            }
            using AnonymousPipeServerStream ready = StartSuccessor(executable);
            Process successor = _successor!;
            LogStarted(executable, successor.Id);
            using var reader = new StreamReader(ready);
            Task<string?> line = reader.ReadLineAsync();
            Task exited = successor.WaitForExitAsync();
            Task finished = await Task.WhenAny(line, exited, Task.Delay(_readyTimeout));
            if (finished == line && line.Result == "ready")
            {
                LogHandedOver(successor.Id);
                _notifier.Silence();   // the successor is the service's main process now
                _handedOver.TrySetResult(successor.Id);
                return;
            }
            if (finished == line)
            {
                // End of file without "ready": the successor is dying; its exit status says more.
                await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(5)));
            }
            if (!successor.HasExited)
            {
                // It said nothing useful in time (or closed the pipe without exiting): it must not linger beside us.
                successor.Kill();
                await successor.WaitForExitAsync();
                LogFailed($"the new pyhost (pid {successor.Id}) was not ready within {_readyTimeout.TotalSeconds:0} s; it was stopped");
            }
            else
            {
                LogFailed($"the new pyhost (pid {successor.Id}) exited with status {successor.ExitCode} before it was ready; its output above says why");
            }
        }
        catch (Exception ex) when (ex is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            LogFailed(ex.Message);
        }
        Interlocked.Exchange(ref _running, 0);   // another SIGUSR2 may try again
    }

    private AnonymousPipeServerStream StartSuccessor(string executable)
    {
        var startInfo = new ProcessStartInfo(executable) { UseShellExecute = false };
        foreach (string argument in Environment.GetCommandLineArgs().Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in _notifier.EnvironmentForSuccessor().Concat(SuccessorEnvironment))
        {
            startInfo.Environment[name] = value;
        }
        startInfo.Environment[PredecessorVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        // Under the lock no worker starts: the descriptors made inheritable here reach the successor only.
        lock (DescriptorInheritance.ChildStart)
        {
            var ready = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
            int readEnd = (int)ready.SafePipeHandle.DangerousGetHandle();
            int writeEnd = (int)ready.ClientSafePipeHandle.DangerousGetHandle();
            IReadOnlyList<int> descriptors = _listeners.SetInheritable(true);
            try
            {
                LibC.SetCloseOnExec(readEnd, true);
                LibC.SetCloseOnExec(writeEnd, false);
                startInfo.Environment[Http.Listening.InheritedSockets.UpgradeVariable] = string.Join(',', descriptors);
                startInfo.Environment[ReadyVariable] = writeEnd.ToString(CultureInfo.InvariantCulture);
                _successor = Process.Start(startInfo) ?? throw new InvalidOperationException($"{executable} did not start");
            }
            finally
            {
                _listeners.SetInheritable(false);
                ready.DisposeLocalCopyOfClientHandle();
            }
            return ready;
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "SIGUSR2: upgrading: started {Executable} as pid {Pid} with the listening sockets; this process serves until it is ready")]
    private partial void LogStarted(string executable, int pid);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "The new pyhost (pid {Pid}) is serving: this one stops accepting, finishes its requests and exits")]
    private partial void LogHandedOver(int pid);

    [LoggerMessage(EventId = 502, Level = LogLevel.Error, Message = "Upgrade failed, this pyhost keeps serving: {Reason}")]
    private partial void LogFailed(string reason);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "SIGUSR2 ignored: an upgrade is already under way")]
    private partial void LogAlreadyUpgrading();

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "Stopping the new pyhost (pid {Pid}): the upgrade is abandoned because this one stops")]
    private partial void LogAbandoned(int pid);
}

/// <summary>The successor's side of a binary upgrade: the pipe to say "ready" on, taken from the environment.</summary>
public sealed class UpgradeHandoff
{
    private readonly int _descriptor;

    private UpgradeHandoff(int descriptor, string predecessor)
    {
        _descriptor = descriptor;
        Predecessor = predecessor;
    }

    /// <summary>The pid of the PyHost this one replaces.</summary>
    public string Predecessor { get; }

    /// <summary>Null when this PyHost was not started by an upgrade. Removes the variables and keeps the pipe from the
    /// workers (close-on-exec).</summary>
    public static UpgradeHandoff? FromEnvironment()
    {
        string? descriptorText = Environment.GetEnvironmentVariable(BinaryUpgrade.ReadyVariable);
        string predecessor = Environment.GetEnvironmentVariable(BinaryUpgrade.PredecessorVariable) ?? "?";
        Environment.SetEnvironmentVariable(BinaryUpgrade.ReadyVariable, null);
        Environment.SetEnvironmentVariable(BinaryUpgrade.PredecessorVariable, null);
        if (!int.TryParse(descriptorText, NumberStyles.None, CultureInfo.InvariantCulture, out int descriptor) || !LibC.IsOpen(descriptor))
        {
            return null;
        }
        LibC.SetCloseOnExec(descriptor, true);
        return new UpgradeHandoff(descriptor, predecessor);
    }

    /// <summary>Tells the predecessor this process serves; it then stops accepting.</summary>
    public void SignalReady()
    {
        try
        {
            using var pipe = new AnonymousPipeClientStream(PipeDirection.Out, new Microsoft.Win32.SafeHandles.SafePipeHandle(_descriptor, ownsHandle: true));
            pipe.Write("ready\n"u8);
        }
        catch (IOException)
        {
            // The predecessor is gone already: there is nobody to hand over from.
        }
    }
}
