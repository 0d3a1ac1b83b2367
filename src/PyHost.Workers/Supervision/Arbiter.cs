using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PyHost.Workers.Channel;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Observability;
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

    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StackDumpGrace = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(2);

    private WorkerOptions _options;   // replaced by a configuration reload, on the loop
    private readonly RuntimeDirectory _runtime;
    private readonly WorkerPool _pool;
    private readonly ILogger _logger;
    private readonly IWorkerOutputSink _workerOutput;
    private readonly TracebackCollector _tracebacks;
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
    private long _lastTickAt = Environment.TickCount64;
    private string? _lastLoggedBootFailure;

    /// <param name="output">Where the workers' own output goes; by default a logger, one call per line.</param>
    public Arbiter(WorkerOptions options, RuntimeDirectory runtime, WorkerPool pool, ILoggerFactory loggers, IWorkerOutputSink? output = null)
    {
        _options = options;
        _runtime = runtime;
        _pool = pool;
        _targetWorkers = options.Workers;
        _logger = loggers.CreateLogger("pyhost.arbiter");
        _tracebacks = new TracebackCollector(Errors, options.Label);
        _workerOutput = output ?? new LoggerOutputSink(loggers.CreateLogger("pyhost.app"));
        _listener = new WorkerChannelListener(runtime.WorkerSocketPathFor(options.AppName), _logger, pool.Buffers);
    }

    /// <summary>The traceback (with its hint line) of the boot failure that stopped the start, if any.</summary>
    public string? BootFailure { get; private set; }

    /// <summary>Completes with the exit status when the arbiter gives up (workers keep failing to boot).</summary>
    public Task<int> Fatal => _fatal.Task;

    /// <summary>Whether the arbiter's loop is turning: the clock ticked within the last few ticks (systemd's watchdog
    /// is pinged only then).</summary>
    public bool IsResponsive => Environment.TickCount64 - Volatile.Read(ref _lastTickAt) < 4 * (long)TickInterval.TotalMilliseconds;

    /// <summary>The number of workers the arbiter keeps (changed by scaling and by slots given up).</summary>
    public int TargetWorkers => Volatile.Read(ref _targetWorkers);

    /// <summary>
    /// Starts the workers. Completes with 0 once the start is over and at least one worker serves: every first worker
    /// is ready or has failed (a failed one is retried from then on), or with an exit status if none can boot.
    /// </summary>
    public Task<int> StartAsync()
    {
        _listener.Start(Authenticate, (channel, id, result, text) => Post(new HandshakeDone(channel, id, result, text)));
        _loop = Task.Run(RunLoopAsync);
        Post(Tick.Instance);
        _ticker = new Timer(_ => Post(Tick.Instance), null, TickInterval, TickInterval);
        return _booted.Task;
    }

    /// <summary>Replaces every worker with one running fresh code; the old ones serve until all new ones are ready.
    /// With <paramref name="options"/> (a configuration reload), the new generation runs with them. The task says how
    /// it went, for `pyhost reload`.</summary>
    public Task<string> ReloadAsync(string reason, WorkerOptions? options = null)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new ReloadRequested(reason, options, done));
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
                channel.Name = worker.Name;
                channel.WorkerId = worker.Id;
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
                    case RetireAnnounced announced: OnRetireAnnounced(announced.Channel, announced.Reason); break;
                    case Tick: OnTick(); break;
                    case ReloadRequested reload: BeginReload(reload); break;
                    case ScaleRequested scale: Scale(scale); break;
                    case StopRequested stop: BeginStop(stop.Grace); break;
                }
                Reconcile();
                Publish();
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
            Retire(extra, RetireCause.ScaledDown, "scaled down");
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
                Retire(old, RetireCause.Reload, "replaced while booting");
                continue;
            }
            if (freshReady + stale - 1 < _targetWorkers)
            {
                break;
            }
            Retire(old, old.ReplaceReason is null ? RetireCause.Reload : RetireCause.MaxRequests, old.ReplaceReason ?? $"code reloaded (generation {_generation})");
            stale--;
        }
    }

    private static bool IsBusy(WorkerProcess worker) => worker.Channels.Any(c => c.IdleSince is null);

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
        _metrics?.Dispose();
        _events.Writer.TryComplete();
        await _listener.DisposeAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    private sealed record ReloadInProgress(int Generation, int PreviousGeneration, WorkerOptions PreviousOptions, TaskCompletionSource<string> Done, long StartedAt);

    private abstract record ArbiterEvent;

    private sealed record HandshakeDone(WorkerChannel Channel, int WorkerId, HandshakeResult Result, string Text) : ArbiterEvent;

    private sealed record WorkerExited(WorkerProcess Worker, int? ExitCode) : ArbiterEvent;

    private sealed record ForkedWorkerExited(int Pid, int ExitCode) : ArbiterEvent;

    private sealed record ChannelRetired(WorkerChannel Channel) : ArbiterEvent;

    private sealed record RetireAnnounced(WorkerChannel Channel, string Reason) : ArbiterEvent;

    private sealed record ReloadRequested(string Reason, WorkerOptions? Options, TaskCompletionSource<string> Done) : ArbiterEvent;

    private sealed record ScaleRequested(int Delta, int? Absolute, TaskCompletionSource<int> Done) : ArbiterEvent;

    private sealed record StopRequested(TimeSpan Grace) : ArbiterEvent;

    private sealed record Tick : ArbiterEvent
    {
        public static readonly Tick Instance = new();
    }
}
