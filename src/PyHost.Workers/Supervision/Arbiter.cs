using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PyHost.Workers.Channel;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Python;

namespace PyHost.Workers.Supervision;

/// <summary>
/// Keeps the configured number of workers alive, gunicorn's arbiter in shape: one loop owns all worker state; process
/// exits, handshakes and the clock only post events to it. It boots workers, hands ready ones to the
/// <see cref="WorkerPool"/>, replaces dead ones, and kills workers whose request ran past the timeout.
/// </summary>
public sealed partial class Arbiter : IAsyncDisposable
{
    /// <summary>Exit status when the app cannot be imported (gunicorn's APP_LOAD_ERROR).</summary>
    public const int AppLoadErrorExitCode = 4;

    /// <summary>Exit status when workers cannot be started at all (gunicorn's WORKER_BOOT_ERROR).</summary>
    public const int WorkerBootErrorExitCode = 3;

    private const int MaxConsecutiveBootFailures = 5;
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StackDumpGrace = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(2);

    private readonly WorkerOptions _options;
    private readonly RuntimeDirectory _runtime;
    private readonly WorkerPool _pool;
    private readonly ILogger _logger;
    private readonly WorkerOutputLog _workerOutput;
    private readonly WorkerChannelListener _listener;
    private readonly System.Threading.Channels.Channel<ArbiterEvent> _events =
        System.Threading.Channels.Channel.CreateUnbounded<ArbiterEvent>(new() { SingleReader = true });
    private readonly Dictionary<int, WorkerProcess> _workers = new();   // by slot; guarded by itself for authenticate
    private readonly Dictionary<int, long> _respawnAt = new();
    private readonly TaskCompletionSource<int> _booted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Timer? _ticker;
    private Task? _loop;
    private bool _everReady;
    private bool _stopping;
    private int _consecutiveBootFailures;

    public Arbiter(WorkerOptions options, RuntimeDirectory runtime, WorkerPool pool, ILoggerFactory loggers)
    {
        _options = options;
        _runtime = runtime;
        _pool = pool;
        _logger = loggers.CreateLogger("pyhost.arbiter");
        _workerOutput = new WorkerOutputLog(loggers.CreateLogger("pyhost.app"));
        _listener = new WorkerChannelListener(runtime.WorkerSocketPath, _logger);
    }

    /// <summary>The traceback (with its hint line) of the boot failure that stopped the start, if any.</summary>
    public string? BootFailure { get; private set; }

    /// <summary>Completes with the exit status when the arbiter gives up (workers keep failing to boot).</summary>
    public Task<int> Fatal => _fatal.Task;

    /// <summary>Starts every worker; completes with 0 once all are ready, or with an exit status if they cannot boot.</summary>
    public Task<int> StartAsync()
    {
        _listener.Start(Authenticate, (channel, id, result, text) => Post(new HandshakeDone(channel, id, result, text)));
        _loop = Task.Run(RunLoopAsync);
        for (int slot = 1; slot <= _options.Workers; slot++)
        {
            Post(new SpawnRequested(slot));
        }
        _ticker = new Timer(_ => Post(Tick.Instance), null, TickInterval, TickInterval);
        return _booted.Task;
    }

    /// <summary>Stops every worker: closes their channels (they exit at end of file), then kills what remains.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Post(new StopRequested(grace));
        await _allExited.Task;
    }

    private void Post(ArbiterEvent arbiterEvent) => _events.Writer.TryWrite(arbiterEvent);

    private bool Authenticate(int workerId, string token, WorkerChannel channel)
    {
        lock (_workers)
        {
            // A worker of ours whatever its state; the loop decides what its handshake is still worth.
            if (_workers.TryGetValue(workerId, out WorkerProcess? worker) && worker.TokenMatches(token))
            {
                channel.WorkerName = worker.Name;
                return true;
            }
            return false;
        }
    }

    private async Task RunLoopAsync()
    {
        await foreach (ArbiterEvent arbiterEvent in _events.Reader.ReadAllAsync())
        {
            try
            {
                switch (arbiterEvent)
                {
                    case SpawnRequested spawn: Spawn(spawn.Slot); break;
                    case HandshakeDone done: await OnHandshakeAsync(done); break;
                    case WorkerExited exited: OnExited(exited.Worker); break;
                    case Tick: OnTick(); break;
                    case StopRequested stop: BeginStop(stop.Grace); break;
                }
            }
            catch (Exception ex)
            {
                LogArbiterError(ex);
            }
            if (_stopping && AllExited())
            {
                _ticker?.Dispose();
                _allExited.TrySetResult();
                return;
            }
        }
    }

    private void Spawn(int slot)
    {
        if (_stopping)
        {
            return;
        }
        var startInfo = new ProcessStartInfo(_options.Python)
        {
            WorkingDirectory = _options.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-m");
        startInfo.ArgumentList.Add("pyhost_worker");
        foreach (var (key, value) in _options.EnvironmentVariables)
        {
            startInfo.Environment[key] = value;
        }
        string? inheritedPythonPath = Environment.GetEnvironmentVariable("PYTHONPATH");
        startInfo.Environment["PYTHONPATH"] = string.IsNullOrEmpty(inheritedPythonPath)
            ? _runtime.PythonPackageRoot
            : _runtime.PythonPackageRoot + Path.PathSeparator + inheritedPythonPath;
        startInfo.Environment["PYTHONUNBUFFERED"] = "1";
        startInfo.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");   // the front's own setting
        startInfo.Environment["PYHOST_SOCKET"] = _runtime.WorkerSocketPath;
        startInfo.Environment["PYHOST_WORKER_ID"] = slot.ToString();
        startInfo.Environment["PYHOST_APP"] = _options.App;
        startInfo.Environment["PYHOST_PYTHONPATH"] = string.Join(Path.PathSeparator, _options.PythonPath);
        startInfo.Environment["PYHOST_DEBUG"] = _options.Debug ? "1" : "0";
        startInfo.Environment["PYHOST_MULTIPROCESS"] = _options.Workers > 1 ? "1" : "0";

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var worker = new WorkerProcess(slot, process, Environment.TickCount64);
        startInfo.Environment["PYHOST_TOKEN"] = worker.Token;
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) _workerOutput.Line(worker.Name, line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) _workerOutput.Line(worker.Name, line.Data); };
        process.Exited += (_, _) => Post(new WorkerExited(worker));

        // Known before it starts: a fast worker's HELLO may arrive before Start() returns.
        lock (_workers)
        {
            _workers[slot] = worker;
        }
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            worker.State = WorkerState.Exited;
            BootFailure = $"cannot start {_options.Python}: {ex.Message}";
            LogCannotStart(_options.Python, ex.Message);
            GiveUp(WorkerBootErrorExitCode);
            return;
        }
        worker.Pid = process.Id;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private async ValueTask OnHandshakeAsync(HandshakeDone done)
    {
        WorkerProcess? worker = _workers.GetValueOrDefault(done.WorkerId);
        if (worker is null)
        {
            await done.Channel.DisposeAsync();
            return;
        }
        worker.HandshakeFinished = true;
        if (worker.State != WorkerState.Booting || _stopping)
        {
            await done.Channel.DisposeAsync();
            if (worker.State == WorkerState.Exited && worker.BootVerdictAt is not null && worker.ExitCode is { } deferredExit)
            {
                worker.BootVerdictAt = null;
                // The exit was seen first and waited for this: now BootFailure has the traceback.
                if (done.Result == HandshakeResult.BootFailed)
                {
                    BootFailure = done.Text.TrimEnd();
                    LogBootFailed(worker.Name, BootFailure);
                }
                OnBootFailure(worker, deferredExit);
            }
            return;
        }
        switch (done.Result)
        {
            case HandshakeResult.Ready:
                worker.State = WorkerState.Ready;
                worker.Channel = done.Channel;
                _everReady = true;
                _consecutiveBootFailures = 0;
                // READY's payload is "pid python-version".
                LogBooted(worker.Name, Environment.TickCount64 - worker.StartedAt, done.Text[(done.Text.IndexOf(' ') + 1)..]);
                _pool.Add(done.Channel);
                if (_workers.Values.Count(w => w.State == WorkerState.Ready) == _options.Workers)
                {
                    _booted.TrySetResult(0);
                }
                break;

            case HandshakeResult.BootFailed:
                // The worker exits by itself after BOOT_FAILED; its exit decides about a respawn.
                BootFailure = done.Text.TrimEnd();
                LogBootFailed(worker.Name, BootFailure);
                await done.Channel.DisposeAsync();
                break;

            default:
                await done.Channel.DisposeAsync();
                break;
        }
    }

    private void OnExited(WorkerProcess worker)
    {
        WorkerState previous = worker.State;
        worker.State = WorkerState.Exited;
        worker.Channel?.MarkBroken();
        int exitCode = SafeExitCode(worker.Process);
        worker.ExitCode = exitCode;
        worker.Process.Dispose();
        if (exitCode > 128)
        {
            LogExitedBySignal(worker.Name, exitCode - 128);
        }
        else
        {
            LogExited(worker.Name, exitCode);
        }
        if (worker.Channel is { } channel)
        {
            _ = channel.DisposeAsync().AsTask();
        }
        if (_stopping)
        {
            return;
        }

        if (previous != WorkerState.Booting)
        {
            Post(new SpawnRequested(worker.Id));
            return;
        }

        // It died before it was ready. Its BOOT_FAILED may still be unread on the socket (a process exit is seen
        // faster than a socket is read): judge when the handshake ends, or after a second without it.
        if (!worker.HandshakeFinished)
        {
            worker.BootVerdictAt = Environment.TickCount64 + 1000;
            return;
        }
        OnBootFailure(worker, exitCode);
    }

    /// <summary>A worker died before it was ready: at first start that ends the server; later, retry with back-off.</summary>
    private void OnBootFailure(WorkerProcess worker, int exitCode)
    {
        int status = exitCode == AppLoadErrorExitCode ? AppLoadErrorExitCode : WorkerBootErrorExitCode;
        BootFailure ??= $"{worker.Name} exited with status {exitCode} before it was ready";
        if (!_everReady || ++_consecutiveBootFailures >= MaxConsecutiveBootFailures)
        {
            GiveUp(status);
            return;
        }
        var backOff = TimeSpan.FromMilliseconds(250 * (1 << Math.Min(_consecutiveBootFailures, 7)));
        LogRespawnBackOff(worker.Id, backOff.TotalSeconds);
        _respawnAt[worker.Id] = Environment.TickCount64 + (long)backOff.TotalMilliseconds;
    }

    private void OnTick()
    {
        long now = Environment.TickCount64;
        foreach (WorkerProcess worker in _workers.Values)
        {
            if (worker.State == WorkerState.Exited)
            {
                if (worker.BootVerdictAt is { } verdictAt && now >= verdictAt && !_stopping)
                {
                    worker.BootVerdictAt = null;
                    OnBootFailure(worker, worker.ExitCode ?? -1);
                }
                continue;
            }
            if (worker.KillAt is { } killAt && now >= killAt)
            {
                Signals.Send(worker.Pid, Signals.SigKill);
                worker.KillAt = null;
            }
            else if (worker.TerminateAt is { } terminateAt && now >= terminateAt)
            {
                Signals.Send(worker.Pid, Signals.SigTerm);
                worker.TerminateAt = null;
                worker.KillAt = now + (long)TerminateGrace.TotalMilliseconds;
            }
            else if (worker.State == WorkerState.Ready && _options.Timeout > TimeSpan.Zero
                     && worker.Channel?.CurrentRequestAge is { } age && age > _options.Timeout)
            {
                TimeOut(worker, age, now);
            }
            else if (worker.State == WorkerState.Booting && now - worker.StartedAt > BootTimeout.TotalMilliseconds && worker.TerminateAt is null && worker.KillAt is null)
            {
                LogBootTimeout(worker.Name, BootTimeout.TotalSeconds);
                Signals.Send(worker.Pid, Signals.SigUsr1);
                worker.TerminateAt = now + (long)StackDumpGrace.TotalMilliseconds;
            }
        }
        foreach (var (slot, at) in _respawnAt.ToArray())
        {
            if (now >= at)
            {
                _respawnAt.Remove(slot);
                Spawn(slot);
            }
        }
    }

    private TimeSpan BootTimeout => _options.Timeout > TimeSpan.FromSeconds(60) ? _options.Timeout : TimeSpan.FromSeconds(60);

    /// <summary>
    /// The request gets its 504 now; the worker is asked for every thread's stack (faulthandler on SIGUSR1, written
    /// to its stderr and so to our log under this line), then terminated and replaced.
    /// </summary>
    private void TimeOut(WorkerProcess worker, TimeSpan age, long now)
    {
        LogTimeout(worker.Name, age.TotalSeconds, worker.Channel!.DescribeCurrentRequest() ?? "a request");
        worker.State = WorkerState.Stopping;
        worker.Channel.AbandonForTimeout();
        Signals.Send(worker.Pid, Signals.SigUsr1);
        worker.TerminateAt = now + (long)StackDumpGrace.TotalMilliseconds;
    }

    private void BeginStop(TimeSpan grace)
    {
        _stopping = true;
        _respawnAt.Clear();
        _pool.Close();
        long now = Environment.TickCount64;
        foreach (WorkerProcess worker in _workers.Values.Where(w => w.State != WorkerState.Exited))
        {
            worker.State = WorkerState.Stopping;
            // End of file on its channel tells the worker to exit; a worker stuck in C code gets signals.
            if (worker.Channel is { } channel)
            {
                _ = channel.DisposeAsync().AsTask();
            }
            worker.TerminateAt = now + (long)grace.TotalMilliseconds;
        }
    }

    private void GiveUp(int exitStatus)
    {
        _booted.TrySetResult(exitStatus);
        _fatal.TrySetResult(exitStatus);
    }

    private bool AllExited() => _workers.Values.All(w => w.State == WorkerState.Exited);

    private static int SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _ticker?.Dispose();
        _events.Writer.TryComplete();
        await _listener.DisposeAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    private abstract record ArbiterEvent;
    private sealed record SpawnRequested(int Slot) : ArbiterEvent;
    private sealed record HandshakeDone(WorkerChannel Channel, int WorkerId, HandshakeResult Result, string Text) : ArbiterEvent;
    private sealed record WorkerExited(WorkerProcess Worker) : ArbiterEvent;
    private sealed record StopRequested(TimeSpan Grace) : ArbiterEvent;
    private sealed record Tick : ArbiterEvent
    {
        public static readonly Tick Instance = new();
    }
}
