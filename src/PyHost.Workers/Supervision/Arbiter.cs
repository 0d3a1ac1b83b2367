using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PyHost.Workers.Channel;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Python;

namespace PyHost.Workers.Supervision;

/// <summary>
/// Keeps the wanted number of workers serving, gunicorn's arbiter in shape: one loop owns all worker state; process
/// exits, handshakes, signals and the clock only post events to it. Every change ends in <see cref="Reconcile"/>,
/// which boots fresh workers up to the target and retires old ones only once a fresh one can take their place, so
/// recycling, reloads and scaling never leave a request without a worker.
/// </summary>
public sealed partial class Arbiter : IAsyncDisposable
{
    /// <summary>Exit status when the app cannot be imported (gunicorn's APP_LOAD_ERROR).</summary>
    public const int AppLoadErrorExitCode = 4;

    /// <summary>Exit status when workers cannot be started at all (gunicorn's WORKER_BOOT_ERROR).</summary>
    public const int WorkerBootErrorExitCode = 3;

    private const int MaxConsecutiveBootFailures = 5;
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MemoryCheckInterval = TimeSpan.FromSeconds(1);
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
    private readonly Dictionary<int, WorkerProcess> _workers = new();   // by id; guarded by itself for Authenticate
    private readonly TaskCompletionSource<int> _booted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Timer? _ticker;
    private Task? _loop;
    private int _nextWorkerId;
    private int _targetWorkers;
    private int _generation;
    private ReloadInProgress? _reload;
    private bool _everReady;
    private bool _stopping;
    private int _consecutiveBootFailures;
    private long _spawnNotBefore;
    private long _nextMemoryCheck;

    public Arbiter(WorkerOptions options, RuntimeDirectory runtime, WorkerPool pool, ILoggerFactory loggers)
    {
        _options = options;
        _runtime = runtime;
        _pool = pool;
        _targetWorkers = options.Workers;
        _logger = loggers.CreateLogger("pyhost.arbiter");
        _workerOutput = new WorkerOutputLog(loggers.CreateLogger("pyhost.app"));
        _listener = new WorkerChannelListener(runtime.WorkerSocketPath, _logger);
    }

    /// <summary>The traceback (with its hint line) of the boot failure that stopped the start, if any.</summary>
    public string? BootFailure { get; private set; }

    /// <summary>Completes with the exit status when the arbiter gives up (workers keep failing to boot).</summary>
    public Task<int> Fatal => _fatal.Task;

    /// <summary>Starts the workers; completes with 0 once all are ready, or with an exit status if they cannot boot.</summary>
    public Task<int> StartAsync()
    {
        _listener.Start(Authenticate, (channel, id, result, text) => Post(new HandshakeDone(channel, id, result, text)));
        _loop = Task.Run(RunLoopAsync);
        Post(Tick.Instance);
        _ticker = new Timer(_ => Post(Tick.Instance), null, TickInterval, TickInterval);
        return _booted.Task;
    }

    /// <summary>Replaces every worker with one running fresh code; the old ones serve until all new ones are ready.
    /// The task says how it went, for `pyhost reload`.</summary>
    public Task<string> ReloadAsync(string reason)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new ReloadRequested(reason, done));
        return done.Task;
    }

    /// <summary>Sets the number of workers (SIGTTIN/SIGTTOU, `pyhost scale`); returns the new number.</summary>
    public Task<int> ScaleAsync(int delta, int? absolute = null)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new ScaleRequested(delta, absolute, done));
        return done.Task;
    }

    /// <summary>Stops every worker: closes their channels (they exit at end of file), then kills what remains.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Post(new StopRequested(grace));
        await _allExited.Task;
    }

    /// <summary>SIGQUIT: no grace. Kills every worker now.</summary>
    public void KillAll()
    {
        lock (_workers)
        {
            foreach (WorkerProcess worker in _workers.Values)
            {
                if (worker.Pid != 0)
                {
                    Signals.Send(worker.Pid, Signals.SigKill);
                }
            }
        }
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
                    case HandshakeDone done: await OnHandshakeAsync(done); break;
                    case WorkerExited exited: OnExited(exited.Worker, exited.ExitCode); break;
                    case ForkedWorkerExited forked:
                        if (_workers.Values.FirstOrDefault(w => w.Zygote is not null && w.Pid == forked.Pid) is { } child)
                        {
                            OnExited(child, forked.ExitCode);
                        }
                        break;
                    case ChannelRetired retired: OnChannelRetired(retired.Channel); break;
                    case Tick: OnTick(); break;
                    case ReloadRequested reload: BeginReload(reload); break;
                    case ScaleRequested scale: Scale(scale); break;
                    case StopRequested stop: BeginStop(stop.Grace); break;
                }
                Reconcile();
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

    /// <summary>
    /// Boots fresh workers up to the target, and retires old ones (older generation, due for recycling, or beyond
    /// the target) only while enough fresh ones are ready to serve without them.
    /// </summary>
    private void Reconcile()
    {
        if (_stopping || _fatal.Task.IsCompleted)
        {
            return;
        }
        long now = Environment.TickCount64;
        // Zygotes serve no request: they are managed by RetireDrainedZygotes and Spawn, never counted here.
        List<WorkerProcess> live = _workers.Values.Where(w => w.State != WorkerState.Exited && !w.Retiring && !w.IsZygote).ToList();
        int serving = live.Count(w => w.IsServing(_generation));
        while (serving < _targetWorkers && now >= _spawnNotBefore && Spawn())
        {
            serving++;
        }
        RetireDrainedZygotes();

        // Scaling down: the newest extra workers go first, booting before ready, idle before busy.
        foreach (WorkerProcess extra in live.Where(w => w.IsServing(_generation))
                     .OrderBy(w => w.State == WorkerState.Ready ? 1 : 0).ThenBy(w => IsBusy(w) ? 1 : 0).ThenByDescending(w => w.Id)
                     .Take(Math.Max(0, serving - _targetWorkers)))
        {
            Retire(extra, "scaled down");
        }

        // Replacing: an old worker leaves only once a fresh ready one covers it. A reload waits for all of its
        // workers first: new code either takes over completely or not at all.
        if (_reload is not null)
        {
            return;
        }
        int freshReady = live.Count(w => w.IsServing(_generation) && w.State == WorkerState.Ready);
        int stale = live.Count(w => !w.IsServing(_generation) && w.State == WorkerState.Ready);
        foreach (WorkerProcess old in live.Where(w => !w.IsServing(_generation)).OrderBy(w => w.Id).ToList())
        {
            if (old.State == WorkerState.Booting)
            {
                Retire(old, "replaced while booting");
                continue;
            }
            if (freshReady + stale - 1 < _targetWorkers)
            {
                break;
            }
            Retire(old, old.ReplaceReason ?? $"code reloaded (generation {_generation})");
            stale--;
        }
    }

    private static bool IsBusy(WorkerProcess worker) => worker.Channels.Any(c => c.IdleSince is null);

    /// <summary>Starts one worker: a process of its own, or with --preload a fork of the generation's zygote.
    /// False when none could start yet (the zygote is still importing the app).</summary>
    private bool Spawn()
    {
        if (!_options.Preload)
        {
            StartProcess(zygote: false);
            return true;
        }
        WorkerProcess? zygote = _workers.Values.FirstOrDefault(w => w.IsZygote && w.Generation == _generation && w.State != WorkerState.Exited && !w.Retiring);
        if (zygote is null)
        {
            StartProcess(zygote: true);
            return false;
        }
        if (zygote.State != WorkerState.Ready)
        {
            return false;
        }
        int id = ++_nextWorkerId;
        var worker = new WorkerProcess(id, _generation, null, Environment.TickCount64, RequestLimit()) { Zygote = zygote };
        lock (_workers)
        {
            _workers[id] = worker;
        }
        try
        {
            zygote.Channels[0].SendControlFrame(Protocol.FrameType.Fork, System.Text.Encoding.ASCII.GetBytes($"{id}:{worker.Token}"));
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            lock (_workers)
            {
                _workers.Remove(id);
            }
            return false;   // the zygote is gone; its exit starts another
        }
        return true;
    }

    private long RequestLimit() =>
        _options.MaxRequests <= 0 ? 0 : _options.MaxRequests + Random.Shared.NextInt64(_options.MaxRequestsJitter + 1);

    /// <summary>An old generation's zygote stays while workers it forked live: they exit when their parent does.</summary>
    private void RetireDrainedZygotes()
    {
        foreach (WorkerProcess zygote in _workers.Values.Where(w => w.IsZygote && w.Generation != _generation && !w.Retiring && w.State != WorkerState.Exited).ToList())
        {
            if (!_workers.Values.Any(w => w.Zygote == zygote && w.State != WorkerState.Exited))
            {
                Retire(zygote, "its generation has drained");
            }
        }
    }

    private void StartProcess(bool zygote)
    {
        int id = ++_nextWorkerId;
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
        startInfo.Environment["PYHOST_WORKER_ID"] = id.ToString();
        startInfo.Environment["PYHOST_APP"] = _options.App;
        startInfo.Environment["PYHOST_PYTHONPATH"] = string.Join(Path.PathSeparator, _options.PythonPath);
        startInfo.Environment["PYHOST_DEBUG"] = _options.Debug ? "1" : "0";
        startInfo.Environment["PYHOST_MULTIPROCESS"] = Math.Max(_options.Workers, _options.WorkersMax) > 1 ? "1" : "0";
        startInfo.Environment["PYHOST_THREADS"] = _options.Threads.ToString();
        if (zygote)
        {
            startInfo.Environment["PYHOST_ZYGOTE"] = "1";
        }
        if (_options.User is { } user)
        {
            startInfo.Environment["PYHOST_USER"] = user;
        }
        if (_options.Group is { } group)
        {
            startInfo.Environment["PYHOST_GROUP"] = group;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var worker = new WorkerProcess(id, _generation, process, Environment.TickCount64, zygote ? 0 : RequestLimit()) { IsZygote = zygote };
        startInfo.Environment["PYHOST_TOKEN"] = worker.Token;
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) _workerOutput.Line(worker.Name, line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) _workerOutput.Line(worker.Name, line.Data); };
        process.Exited += (_, _) => Post(new WorkerExited(worker, null));

        // Known before it starts: a fast worker's HELLO may arrive before Start() returns.
        lock (_workers)
        {
            _workers[id] = worker;
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
        if (done.Result == HandshakeResult.Ready && worker.State == WorkerState.Ready && !worker.Retiring && !_stopping
            && worker.Channels.Count < _options.Threads)
        {
            AddChannel(worker, done.Channel);   // one more thread of a ready worker
            return;
        }
        worker.HandshakeFinished = true;
        if (worker.State != WorkerState.Booting || worker.Retiring || _stopping)
        {
            await done.Channel.DisposeAsync();
            if (worker.State == WorkerState.Exited && worker.BootVerdictAt is not null && worker.ExitCode is { } deferredExit)
            {
                // The exit was seen first and waited for this: now BootFailure has the traceback.
                worker.BootVerdictAt = null;
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
                _consecutiveBootFailures = 0;
                // READY's payload is "pid python-version"; a forked worker's pid is known only from it.
                string[] ready = done.Text.Split(' ', 2);
                if (worker.Pid == 0 && int.TryParse(ready[0], out int pid))
                {
                    worker.Pid = pid;
                    done.Channel.WorkerName = worker.Name;
                }
                LogBooted(worker.Name, Environment.TickCount64 - worker.StartedAt, ready.Length > 1 ? ready[1] : "?");
                if (worker.IsZygote)
                {
                    worker.Channels.Add(done.Channel);
                    _ = ReadZygoteAsync(done.Channel);
                    break;
                }
                _everReady = true;
                AddChannel(worker, done.Channel);
                if (!_booted.Task.IsCompleted && _workers.Values.Count(w => w.State == WorkerState.Ready && !w.IsZygote) >= _targetWorkers)
                {
                    _booted.TrySetResult(0);
                }
                CompleteReloadIfReady();
                break;

            case HandshakeResult.BootFailed:
                // The worker exits by itself after BOOT_FAILED; its exit decides what happens next.
                BootFailure = done.Text.TrimEnd();
                LogBootFailed(worker.Name, BootFailure);
                await done.Channel.DisposeAsync();
                break;

            default:
                await done.Channel.DisposeAsync();
                break;
        }
    }

    /// <summary>A zygote reports the exits of the workers it forked, which only it can wait for.</summary>
    private async Task ReadZygoteAsync(WorkerChannel channel)
    {
        try
        {
            while (await channel.ReadControlFrameAsync(CancellationToken.None) is { } frame)
            {
                if (frame.Header.Type == Protocol.FrameType.ChildExited
                    && System.Text.Encoding.ASCII.GetString(frame.Payload).Split(' ') is [var pidText, var statusText]
                    && int.TryParse(pidText, out int pid) && int.TryParse(statusText, out int status))
                {
                    Post(new ForkedWorkerExited(pid, status < 0 ? 128 - status : status));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException or Protocol.ProtocolException)
        {
            // The zygote is gone; its process exit is handled as any worker's.
        }
    }

    private void AddChannel(WorkerProcess worker, WorkerChannel channel)
    {
        worker.Channels.Add(channel);
        channel.Retired = retired => Post(new ChannelRetired(retired));
        _pool.Add(channel);
    }

    private void OnExited(WorkerProcess worker, int? reportedExitCode)
    {
        if (worker.State == WorkerState.Exited)
        {
            return;
        }
        WorkerState previous = worker.State;
        worker.State = WorkerState.Exited;
        int exitCode = reportedExitCode ?? (worker.Process is { } process ? SafeExitCode(process) : -1);
        worker.ExitCode = exitCode;
        worker.Process?.Dispose();
        if (worker.IsZygote)
        {
            // Its children leave with it (their watchdog sees the parent go); no one else can report their exits.
            foreach (WorkerProcess child in _workers.Values.Where(w => w.Zygote == worker && w.State != WorkerState.Exited).ToList())
            {
                OnExited(child, null);
            }
        }
        foreach (WorkerChannel channel in worker.Channels)
        {
            channel.MarkBroken();
            _ = channel.DisposeAsync().AsTask();
        }
        if (worker.Zygote is { State: WorkerState.Exited } && reportedExitCode is null)
        {
            LogExitedWithZygote(worker.Name);
        }
        else if (exitCode > 128)
        {
            LogExitedBySignal(worker.Name, exitCode - 128);
        }
        else
        {
            LogExited(worker.Name, exitCode);
        }
        lock (_workers)
        {
            _workers.Remove(worker.Id);
        }
        if (_stopping || previous != WorkerState.Booting || worker.Retiring)
        {
            return;   // Reconcile replaces it if it was serving
        }

        // It died before it was ready. Its BOOT_FAILED may still be unread on the socket (a process exit is seen
        // faster than a socket is read): judge when the handshake ends, or after a second without it.
        if (!worker.HandshakeFinished)
        {
            worker.BootVerdictAt = Environment.TickCount64 + 1000;
            _workers[worker.Id] = worker;   // kept until the verdict, so its handshake still finds it
            return;
        }
        OnBootFailure(worker, exitCode);
    }

    /// <summary>
    /// A worker died before it was ready. At first start that ends the server. Later the running workers keep
    /// serving (a bad deploy never takes the site down) while fresh ones are retried with back-off; a reload whose
    /// new code fails is abandoned.
    /// </summary>
    private void OnBootFailure(WorkerProcess worker, int exitCode)
    {
        lock (_workers)
        {
            _workers.Remove(worker.Id);
        }
        int status = exitCode == AppLoadErrorExitCode ? AppLoadErrorExitCode : WorkerBootErrorExitCode;
        BootFailure ??= $"{worker.Name} exited with status {exitCode} before it was ready";
        if (!_everReady)
        {
            GiveUp(status);
            return;
        }
        if (_reload is { } reload && worker.Generation == reload.Generation)
        {
            AbandonReload(reload, BootFailure);
            return;
        }
        bool anyoneServing = _workers.Values.Any(w => w.State == WorkerState.Ready && !w.Retiring && !w.IsZygote);
        if (++_consecutiveBootFailures >= MaxConsecutiveBootFailures && !anyoneServing)
        {
            GiveUp(status);
            return;
        }
        var backOff = TimeSpan.FromMilliseconds(250 * (1 << Math.Min(_consecutiveBootFailures, 7)));
        LogRespawnBackOff(backOff.TotalSeconds, _consecutiveBootFailures);
        _spawnNotBefore = Environment.TickCount64 + (long)backOff.TotalMilliseconds;
    }

    private void OnChannelRetired(WorkerChannel channel)
    {
        WorkerProcess? worker = _workers.Values.FirstOrDefault(w => w.Channels.Contains(channel));
        _ = channel.DisposeAsync().AsTask();
        if (worker is not null && worker.Channels.All(c => !c.IsUsable || c.IdleSince is not null))
        {
            // End of file on its channels tells the worker to exit; TerminateAt covers one that does not.
            foreach (WorkerChannel other in worker.Channels)
            {
                _ = other.DisposeAsync().AsTask();
            }
            worker.TerminateAt ??= Environment.TickCount64 + (long)TerminateGrace.TotalMilliseconds;
        }
    }

    private void Retire(WorkerProcess worker, string reason)
    {
        worker.Retiring = true;
        LogRetiring(worker.Name, reason);
        if (worker.IsZygote && worker.State == WorkerState.Ready)
        {
            // Serves no request: end of file on its socket makes it exit.
            foreach (WorkerChannel channel in worker.Channels)
            {
                _ = channel.DisposeAsync().AsTask();
            }
            worker.TerminateAt = Environment.TickCount64 + (long)TerminateGrace.TotalMilliseconds;
            return;
        }
        if (worker.State == WorkerState.Booting || worker.Channels.Count == 0)
        {
            Signals.Send(worker.Pid, Signals.SigTerm);
            worker.KillAt = Environment.TickCount64 + (long)TerminateGrace.TotalMilliseconds;
            return;
        }
        // It finishes what it runs; past the graceful timeout it is terminated like a hung one.
        worker.TerminateAt = Environment.TickCount64 + (long)_options.GracefulTimeout.TotalMilliseconds;
        foreach (WorkerChannel channel in worker.Channels)
        {
            channel.RequestRetire();
        }
    }

    private void OnTick()
    {
        long now = Environment.TickCount64;
        bool checkMemory = _options.MaxWorkerMemoryMib > 0 && now >= _nextMemoryCheck;
        if (checkMemory)
        {
            _nextMemoryCheck = now + (long)MemoryCheckInterval.TotalMilliseconds;
        }
        foreach (WorkerProcess worker in _workers.Values.ToList())
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
                continue;
            }
            if (worker.TerminateAt is { } terminateAt && now >= terminateAt)
            {
                Signals.Send(worker.Pid, Signals.SigTerm);
                worker.TerminateAt = null;
                worker.KillAt = now + (long)TerminateGrace.TotalMilliseconds;
                continue;
            }
            if (worker.State == WorkerState.Booting)
            {
                if (now - worker.StartedAt > BootTimeout.TotalMilliseconds && worker.KillAt is null && worker.TerminateAt is null)
                {
                    LogBootTimeout(worker.Name, BootTimeout.TotalSeconds);
                    Signals.Send(worker.Pid, Signals.SigUsr1);
                    worker.TerminateAt = now + (long)StackDumpGrace.TotalMilliseconds;
                }
                continue;
            }
            CheckTimeouts(worker, now);
            if (worker.Retiring || worker.ReplaceReason is not null || worker.IsZygote)
            {
                continue;
            }
            if (worker.RequestLimit > 0 && worker.Channels.Sum(c => c.RequestsServed) >= worker.RequestLimit)
            {
                worker.ReplaceReason = $"served {worker.RequestLimit} requests (--max-requests)";
                LogRecycling(worker.Name, worker.ReplaceReason);
            }
            else if (checkMemory && ProcessMemory.ResidentMib(worker.Pid) is { } rss && rss > _options.MaxWorkerMemoryMib)
            {
                worker.ReplaceReason = $"uses {rss} MiB, over --max-worker-memory {_options.MaxWorkerMemoryMib} MiB";
                LogRecycling(worker.Name, worker.ReplaceReason);
            }
        }
        ScaleDynamically(now);
    }

    private void CheckTimeouts(WorkerProcess worker, long now)
    {
        if (_options.Timeout <= TimeSpan.Zero || worker.TerminateAt is not null || worker.KillAt is not null)
        {
            return;
        }
        foreach (WorkerChannel channel in worker.Channels)
        {
            if (channel.CurrentRequestAge is { } age && age > _options.Timeout)
            {
                TimeOut(worker, channel, age, now);
                return;
            }
        }
    }

    private TimeSpan BootTimeout => _options.Timeout > TimeSpan.FromSeconds(60) ? _options.Timeout : TimeSpan.FromSeconds(60);

    /// <summary>
    /// The request gets its 504 now; the worker is asked for every thread's stack (faulthandler on SIGUSR1, written
    /// to its stderr and so to our log under this line), then terminated and replaced.
    /// </summary>
    private void TimeOut(WorkerProcess worker, WorkerChannel channel, TimeSpan age, long now)
    {
        LogTimeout(worker.Name, age.TotalSeconds, channel.DescribeCurrentRequest() ?? "a request");
        worker.Retiring = true;
        channel.AbandonForTimeout();
        foreach (WorkerChannel other in worker.Channels)
        {
            other.RequestRetire();
        }
        Signals.Send(worker.Pid, Signals.SigUsr1);
        worker.TerminateAt = now + (long)StackDumpGrace.TotalMilliseconds;
    }

    /// <summary>--workers-max: one more worker when requests queue; one fewer when a worker sat idle too long.</summary>
    private void ScaleDynamically(long now)
    {
        if (_options.WorkersMax <= _options.Workers || _reload is not null)
        {
            return;
        }
        List<WorkerProcess> serving = _workers.Values.Where(w => w.IsServing(_generation)).ToList();
        bool booting = serving.Any(w => w.State == WorkerState.Booting);
        if (_pool.Waiting > 0 && !booting && _targetWorkers < _options.WorkersMax)
        {
            _targetWorkers++;
            LogScaled(_targetWorkers, $"{_pool.Waiting} requests are waiting for a worker");
            return;
        }
        if (_targetWorkers > _options.Workers && _pool.Waiting == 0)
        {
            WorkerProcess? idle = serving.Where(w => w.State == WorkerState.Ready && w.Channels.Count > 0
                                                     && w.Channels.All(c => c.IdleSince is { } since && now - since > _options.IdleTimeout.TotalMilliseconds))
                                         .OrderByDescending(w => w.Id).FirstOrDefault();
            if (idle is not null)
            {
                _targetWorkers--;
                LogScaled(_targetWorkers, $"{idle.Name} was idle for {_options.IdleTimeout.TotalSeconds:0} s");
                Retire(idle, "idle (--idle-timeout)");
            }
        }
    }

    private void BeginReload(ReloadRequested request)
    {
        if (_stopping)
        {
            request.Done.TrySetResult("error: the server is stopping");
            return;
        }
        if (_reload is { } running)
        {
            // A reload during a reload: the newer code wins; the half-booted generation is dropped.
            AbandonReload(running, "superseded by a newer reload");
        }
        _generation++;
        _reload = new ReloadInProgress(_generation, _generation - 1, request.Done, Environment.TickCount64);
        LogReloadStarted(request.Reason, _generation, _targetWorkers);
    }

    private void CompleteReloadIfReady()
    {
        if (_reload is not { } reload)
        {
            return;
        }
        int ready = _workers.Values.Count(w => w.Generation == reload.Generation && w.State == WorkerState.Ready && !w.Retiring && !w.IsZygote);
        if (ready < _targetWorkers)
        {
            return;
        }
        _reload = null;
        long milliseconds = Environment.TickCount64 - reload.StartedAt;
        LogReloadDone(reload.Generation, ready, milliseconds);
        reload.Done.TrySetResult($"ok: {ready} workers of generation {reload.Generation} ready in {milliseconds} ms; the old ones are draining");
    }

    private void AbandonReload(ReloadInProgress reload, string reason)
    {
        _reload = null;
        _generation = reload.PreviousGeneration;
        foreach (WorkerProcess fresh in _workers.Values.Where(w => w.Generation == reload.Generation && !w.Retiring).ToList())
        {
            Retire(fresh, "its reload was abandoned");
        }
        LogReloadFailed(reason);
        reload.Done.TrySetResult($"error: the new code did not start; the running workers keep serving.\n{reason}");
    }

    private void Scale(ScaleRequested request)
    {
        int floor = 1;
        int wanted = request.Absolute ?? _targetWorkers + request.Delta;
        _targetWorkers = Math.Max(floor, wanted);
        LogScaled(_targetWorkers, request.Absolute is null ? (request.Delta > 0 ? "SIGTTIN" : "SIGTTOU") : "pyhost scale");
        request.Done.TrySetResult(_targetWorkers);
    }

    private void BeginStop(TimeSpan grace)
    {
        _stopping = true;
        _pool.Close();
        _reload?.Done.TrySetResult("error: the server is stopping");
        long now = Environment.TickCount64;
        foreach (WorkerProcess worker in _workers.Values.Where(w => w.State != WorkerState.Exited))
        {
            worker.Retiring = true;
            // End of file on its channels tells the worker to exit; a worker stuck in C code gets signals.
            foreach (WorkerChannel channel in worker.Channels)
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

    private sealed record ReloadInProgress(int Generation, int PreviousGeneration, TaskCompletionSource<string> Done, long StartedAt);

    private abstract record ArbiterEvent;
    private sealed record HandshakeDone(WorkerChannel Channel, int WorkerId, HandshakeResult Result, string Text) : ArbiterEvent;
    private sealed record WorkerExited(WorkerProcess Worker, int? ExitCode) : ArbiterEvent;
    private sealed record ForkedWorkerExited(int Pid, int ExitCode) : ArbiterEvent;
    private sealed record ChannelRetired(WorkerChannel Channel) : ArbiterEvent;
    private sealed record ReloadRequested(string Reason, TaskCompletionSource<string> Done) : ArbiterEvent;
    private sealed record ScaleRequested(int Delta, int? Absolute, TaskCompletionSource<int> Done) : ArbiterEvent;
    private sealed record StopRequested(TimeSpan Grace) : ArbiterEvent;
    private sealed record Tick : ArbiterEvent
    {
        public static readonly Tick Instance = new();
    }
}
