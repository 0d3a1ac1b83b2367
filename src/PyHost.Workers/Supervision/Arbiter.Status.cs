using Microsoft.Extensions.Logging;
using PyHost.Workers.Channel;
using PyHost.Workers.Observability;

namespace PyHost.Workers.Supervision;

// What the admin API, the dashboard, `pyhost top` and the metrics see: a view of the workers published by the loop
// after every event, read from any thread; restarts by reason; recent errors; stack dumps on demand.
public sealed partial class Arbiter
{
    private static readonly TimeSpan StackDumpDeadline = TimeSpan.FromSeconds(2);

    private readonly Dictionary<RetireCause, long> _restarts = new();
    private volatile WorkerSnapshot[] _published = [];
    private RestartRecord? _lastRestart;
    private WorkerMetrics? _metrics;

    /// <summary>App tracebacks, timeouts with their stacks, crashes and boot failures, newest first.</summary>
    public RecentErrors Errors { get; } = new();

    public string AppName => _options.Label;

    /// <summary>Registers the app's worker instruments, until the arbiter is disposed.</summary>
    public void EnableMetrics() => _metrics ??= new WorkerMetrics(_options.Label, Status);

    /// <summary>The workers now: the loop's last published view, with what the channels and /proc say at this moment.</summary>
    public AppStatus Status()
    {
        WorkerSnapshot[] workers = _published;
        long now = Environment.TickCount64;
        var statuses = new List<WorkerStatus>(workers.Length);
        int pipelined = 0;
        foreach (WorkerSnapshot snapshot in workers)
        {
            WorkerChannel[] channels = snapshot.Channels;
            int busy = snapshot.Worker.IsZygote ? 0 : channels.Count(c => c.Outstanding > 0);
            int waiting = channels.Sum(c => Math.Max(0, c.Outstanding - c.Capacity));
            pipelined += waiting;
            (string? request, TimeSpan? age) = OldestRequest(channels);
            statuses.Add(new WorkerStatus
            {
                Id = snapshot.Worker.Id,
                Pid = snapshot.Pid == 0 ? null : snapshot.Pid,
                Kind = snapshot.Worker.IsZygote ? "zygote" : "worker",
                State = snapshot.State == WorkerState.Booting ? "booting"
                    : snapshot.Retiring || snapshot.Reason is not null ? "retiring"
                    : busy > 0 ? "busy" : "idle",
                Generation = snapshot.Worker.Generation,
                CurrentRequest = request,
                ElapsedSeconds = age?.TotalSeconds,
                Threads = snapshot.Worker.IsZygote ? 0 : _options.Threads,
                BusyThreads = busy,
                Pipelined = waiting,
                RequestsServed = channels.Sum(c => c.RequestsServed),
                MemoryRssBytes = ResidentMemory.Of(snapshot.Pid),
                UptimeSeconds = (now - snapshot.Worker.StartedAt) / 1000.0,
                Reason = snapshot.Reason,
            });
        }
        Dictionary<string, long> restarts;
        RestartRecord? last;
        lock (_restarts)
        {
            restarts = Enum.GetValues<RetireCause>().Where(c => c.IsRestart()).ToDictionary(c => c.Label(), c => _restarts.GetValueOrDefault(c));
            last = _lastRestart;
        }
        return new AppStatus
        {
            Name = _options.Label,
            Module = _options.App,
            TargetWorkers = Volatile.Read(ref _targetWorkers),
            WorkersMin = _options.Workers,
            WorkersMax = Math.Max(_options.Workers, _options.WorkersMax),
            Generation = Volatile.Read(ref _generation),
            Reloading = _reload is not null,
            Workers = statuses,
            Queue = new QueueStatus(_pool.Waiting, pipelined, _options.MaxQueuedRequests),
            Restarts = restarts,
            LastRestart = last,
        };
    }

    private static (string? Request, TimeSpan? Age) OldestRequest(WorkerChannel[] channels)
    {
        WorkerChannel? oldest = null;
        TimeSpan? oldestAge = null;
        foreach (WorkerChannel channel in channels)
        {
            if (channel.CurrentRequestAge is { } age && (oldestAge is null || age > oldestAge))
            {
                oldest = channel;
                oldestAge = age;
            }
        }
        return (oldest?.DescribeCurrentRequest(), oldestAge);
    }

    /// <summary>Every thread's Python stack of a running worker, without stopping it (docs/protocol.md, "Stack dumps").</summary>
    public Task<StackDumpResult> DumpStackAsync(int workerId)
    {
        WorkerSnapshot? snapshot = _published.FirstOrDefault(w => w.Worker.Id == workerId);
        if (snapshot is null)
        {
            return Task.FromResult(new StackDumpResult(StackDumpStatus.NoSuchWorker, $"no worker {workerId}"));
        }
        if (snapshot.Worker.StackDump is not { } dump)
        {
            return Task.FromResult(new StackDumpResult(StackDumpStatus.Unavailable,
                snapshot.State == WorkerState.Booting ? $"worker {workerId} is still booting" : $"worker {workerId} cannot dump its stack (no memfd)"));
        }
        return dump.CaptureAsync(StackDumpDeadline);
    }

    /// <summary>Called by the loop after every event: the view other threads read.</summary>
    private void Publish() =>
        _published = _workers.Values.Where(w => w.State != WorkerState.Exited)
            .Select(w => new WorkerSnapshot(w, [.. w.Channels], w.State, w.Retiring, w.RetireReason ?? w.ReplaceReason, w.Pid))
            .ToArray();

    /// <summary>The request gets its 504; the worker's stack is read into the log and the recent errors before it is
    /// terminated (the stderr dump on SIGUSR1 when it has no stack file).</summary>
    private void DumpStackAtTimeout(WorkerProcess worker, string request, double seconds)
    {
        _metrics?.TimedOut();
        worker.RetireCause = RetireCause.Timeout;
        worker.RetireReason = $"timed out after {seconds:0.0} s";
        string summary = $"{request} ran past --timeout ({seconds:0.0} s) on {worker.Name}";
        string name = worker.Name;
        int id = worker.Id;
        int pid = worker.Pid;
        if (worker.StackDump is not { } dump)
        {
            Signals.Send(pid, Signals.SigUsr1);
            Errors.Add(_options.Label, "timeout", summary, id, null);
            return;
        }
        _ = Task.Run(async () =>
        {
            StackDumpResult stack = await dump.CaptureAsync(StackDumpGrace - TimeSpan.FromMilliseconds(100));
            if (stack.Status == StackDumpStatus.Dumped)
            {
                // Written as the worker's own stderr lines, as faulthandler's dump on SIGUSR1 would be: the same log
                // lines whichever way the stack came.
                LogTimeoutStack(name);
                _workerOutput.Write(name, WorkerOutputStream.StandardError, stack.Text.TrimEnd().Split('\n'));
                Errors.Add(_options.Label, "timeout", summary, id, stack.Text.TrimEnd());
            }
            else
            {
                Signals.Send(pid, Signals.SigUsr1);
                Errors.Add(_options.Label, "timeout", summary, id, stack.Text);
            }
        });
    }

    /// <summary>A worker left: counted by why, and remembered when it crashed.</summary>
    private void NoteExit(WorkerProcess worker, WorkerState previous, int exitCode)
    {
        if (worker.IsZygote || (previous == WorkerState.Booting && worker.RetireCause is null))
        {
            return;   // a zygote serves nothing; a boot failure is noted by NoteBootFailure
        }
        RetireCause cause = worker.RetireCause ?? (_stopping ? RetireCause.Shutdown : RetireCause.Crash);
        if (cause == RetireCause.Crash)
        {
            string how = exitCode > 128 ? $"was killed by signal {exitCode - 128}" : $"exited with status {exitCode}";
            Errors.Add(_options.Label, "crash", $"{worker.Name} {how} while serving", worker.Id, null);
        }
        if (!cause.IsRestart())
        {
            return;
        }
        lock (_restarts)
        {
            _restarts[cause] = _restarts.GetValueOrDefault(cause) + 1;
            _lastRestart = new RestartRecord(DateTimeOffset.Now, worker.Id, cause.Label(), worker.RetireReason ?? cause.Label());
        }
        _metrics?.Restarted(cause);
    }

    private void NoteBootFailure(WorkerProcess worker, int exitCode) =>
        Errors.Add(_options.Label, "boot-failed", $"{worker.Name} could not load the app (exit status {exitCode})", worker.Id, BootFailure);

    private sealed record WorkerSnapshot(WorkerProcess Worker, WorkerChannel[] Channels, WorkerState State, bool Retiring, string? Reason, int Pid);

    [LoggerMessage(EventId = 216, Level = LogLevel.Error, Message = "{Worker}'s Python stack at the timeout follows")]
    private partial void LogTimeoutStack(string worker);
}
