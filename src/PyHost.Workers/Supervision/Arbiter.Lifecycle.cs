using PyHost.Workers.Channel;
using PyHost.Workers.Observability;

namespace PyHost.Workers.Supervision;

// A worker's life as the loop sees it: handshake, channels, retirement, exit, boot failure.
public sealed partial class Arbiter
{
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
                    ReportBootFailure(worker, done.Text);
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
                // READY's payload is "pid python-version interface[ loop][ stack=FD]"; a forked worker's pid is known only from it.
                string[] ready = done.Text.Split(' ');
                if (worker.Pid == 0 && int.TryParse(ready[0], out int pid))
                {
                    worker.Pid = pid;
                    done.Channel.Name = worker.Name;
                }
                string[] details = ready.Skip(2).Where(token => !token.StartsWith("stack=", StringComparison.Ordinal)).ToArray();
                worker.Interface = details.Length > 0 ? string.Join(' ', details) : "wsgi";
                if (ready.FirstOrDefault(token => token.StartsWith("stack=", StringComparison.Ordinal)) is { } stack
                    && int.TryParse(stack["stack=".Length..], out int stackFd))
                {
                    worker.StackDump = new StackDump(worker.Pid, stackFd);
                }
                LogBooted(worker.Name, Environment.TickCount64 - worker.StartedAt, ready.Length > 1 ? ready[1] : "?", DescribeInterface(worker.Interface));
                if (worker.IsZygote)
                {
                    worker.Channels.Add(done.Channel);
                    _ = ReadZygoteAsync(done.Channel);
                    break;
                }
                if (!_everReady)
                {
                    _everReady = true;
                    _spawnNotBefore = 0;   // the first workers that failed are retried from now on
                }
                AddChannel(worker, done.Channel);
                CompleteStartIfOver();
                CompleteReloadIfReady();
                break;

            case HandshakeResult.BootFailed:
                // The worker exits by itself after BOOT_FAILED; its exit decides what happens next.
                ReportBootFailure(worker, done.Text);
                await done.Channel.DisposeAsync();
                break;

            default:
                await done.Channel.DisposeAsync();
                break;
        }
    }

    private void AddChannel(WorkerProcess worker, WorkerChannel channel)
    {
        worker.Channels.Add(channel);
        ConfigureChannel(worker, channel);
        channel.IsDueForReplacement = worker.ReplaceReason is not null;   // a thread that connected after the mark
        channel.Retired = retired => Post(new ChannelRetired(retired));
        channel.RetireAnnounced = (announcing, reason) => Post(new RetireAnnounced(announcing, reason));
        channel.StartServing();
        _pool.Add(channel);
    }

    /// <summary>The worker said it takes no more requests (over --max-worker-memory): it is replaced now.</summary>
    private void OnRetireAnnounced(WorkerChannel channel, string reason)
    {
        WorkerProcess? worker = _workers.Values.FirstOrDefault(w => w.Channels.Contains(channel));
        if (worker is not null && !worker.Retiring)
        {
            LogRecycling(worker.Name, reason);
            Retire(worker, RetireCause.Memory, reason);
        }
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
        NoteExit(worker, previous, exitCode);
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
            // A request may still be reading this channel: it sees the dead worker's end of file and answers 502.
            // Retiring closes the channel once no request uses it; a zygote's channel carries no request.
            if (worker.IsZygote)
            {
                _ = channel.DisposeAsync().AsTask();
            }
            else
            {
                channel.RequestRetire();
            }
        }
        // A worker that leaves while it serves, unasked, has died: that is an error, whatever took it (a crash in C
        // code, os._exit, the OOM killer). Leaving when told to is not.
        bool died = previous == WorkerState.Ready && !worker.Retiring && !_stopping && !worker.IsZygote;
        if (worker.Zygote is { State: WorkerState.Exited } && reportedExitCode is null)
        {
            LogExitedWithZygote(worker.Name);
        }
        else if (exitCode > 128 && died)
        {
            LogDiedBySignal(worker.Name, exitCode - 128, SignalName(exitCode - 128));
        }
        else if (exitCode > 128)
        {
            LogExitedBySignal(worker.Name, exitCode - 128);
        }
        else if (died)
        {
            LogDied(worker.Name, exitCode);
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
        if (!_everReady)
        {
            _spawnNotBefore = long.MaxValue;   // at first start a failed slot waits for a ready worker (OnBootFailure)
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
    /// A worker died before it was ready. At first start nothing is retried until one worker is ready: when none is
    /// left booting, the start has failed (a broken app stops PyHost at once, as gunicorn stops). Later the running
    /// workers keep serving (a bad deploy never takes the site down) while fresh ones are retried with back-off; after
    /// --max-boot-failures failures in a row a slot is given up, and with no worker left serving PyHost stops. A reload
    /// whose new code fails is abandoned.
    /// </summary>
    private void OnBootFailure(WorkerProcess worker, int exitCode)
    {
        NoteBootFailure(worker, exitCode);
        lock (_workers)
        {
            _workers.Remove(worker.Id);
        }
        // gunicorn's statuses: 4 when the app was imported but holds no usable app, 3 for any other boot failure.
        int status = exitCode == AppLoadErrorExitCode ? AppLoadErrorExitCode : WorkerBootErrorExitCode;
        BootFailure ??= $"{worker.Name} exited with status {exitCode} before it was ready";
        if (!_everReady)
        {
            _spawnNotBefore = long.MaxValue;   // until a worker is ready, a failed slot waits
            if (!AnyBooting())
            {
                GiveUp(status);
            }
            return;
        }
        if (_reload is { } reload && worker.Generation == reload.Generation)
        {
            AbandonReload(reload, BootFailure);
            return;
        }
        if (++_consecutiveBootFailures >= _options.MaxBootFailures)
        {
            _consecutiveBootFailures = 0;
            _targetWorkers = Math.Max(0, _targetWorkers - 1);
            LogSlotGivenUp(ForApp, _options.MaxBootFailures, _targetWorkers, FirstLines(BootFailure));
            if (_targetWorkers == 0 || !_workers.Values.Any(w => w.State == WorkerState.Ready && !w.Retiring && !w.IsZygote))
            {
                LogNoWorkerLeft(ForApp);
                GiveUp(status);
                return;
            }
            CompleteStartIfOver();
            return;
        }
        var backOff = TimeSpan.FromMilliseconds(250 * (1 << Math.Min(_consecutiveBootFailures, 7)));
        LogRespawnBackOff(ForApp, backOff.TotalSeconds, _consecutiveBootFailures);
        _spawnNotBefore = Environment.TickCount64 + (long)backOff.TotalMilliseconds;
        CompleteStartIfOver();
    }

    /// <summary>The start is over once a worker serves and none of the first ones is still booting.</summary>
    private void CompleteStartIfOver()
    {
        if (_booted.Task.IsCompleted || !_everReady)
        {
            return;
        }
        int ready = _workers.Values.Count(w => w.State == WorkerState.Ready && !w.IsZygote);
        if (ready >= _targetWorkers || !AnyBooting())
        {
            _booted.TrySetResult(0);
        }
    }

    private bool AnyBooting() => _workers.Values.Any(w => w.State == WorkerState.Booting && !w.Retiring);

    /// <summary>
    /// A BOOT_FAILED's traceback, logged once: PyHost's line at ERROR, then the traceback as the worker's own output
    /// (never filtered by --log-level). The same traceback from the next worker is not repeated.
    /// </summary>
    private void ReportBootFailure(WorkerProcess worker, string text)
    {
        BootFailure = text.TrimEnd();
        if (BootFailure == _lastLoggedBootFailure)
        {
            LogBootFailedAgain(worker.Name);
            return;
        }
        _lastLoggedBootFailure = BootFailure;
        LogBootFailed(worker.Name);
        _workerOutput.Write(worker.Name, WorkerOutputStream.StandardError, BootFailure.Split('\n'));
    }

    /// <summary>A traceback's last lines (the exception and the hint), for one log line.</summary>
    private static string FirstLines(string traceback)
    {
        string[] lines = traceback.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - 2)));
    }

    private static string SignalName(int signal) => signal switch
    {
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        7 => "SIGBUS",
        8 => "SIGFPE",
        4 => "SIGILL",
        _ => $"signal {signal}",
    };

    private void OnChannelRetired(WorkerChannel channel)
    {
        _pool.Remove(channel);
        WorkerProcess? worker = _workers.Values.FirstOrDefault(w => w.Channels.Contains(channel));
        // A retired channel stays open while another of its worker's channels runs a request: end of file on any
        // channel makes the worker exit (a --threads worker too), and the request its other thread runs would fail.
        if (worker is null || !channel.IsUsable)
        {
            _ = channel.DisposeAsync().AsTask();
        }
        if (worker is not null && worker.Channels.All(c => c.IdleSince is not null))
        {
            // End of file on its channels tells the worker to exit; TerminateAt covers one that does not.
            foreach (WorkerChannel other in worker.Channels)
            {
                _ = other.DisposeAsync().AsTask();
            }
            worker.TerminateAt ??= Environment.TickCount64 + (long)ExitGrace(worker).TotalMilliseconds;
        }
    }

    private void Retire(WorkerProcess worker, RetireCause cause, string reason)
    {
        worker.Retiring = true;
        worker.RetireCause ??= cause;
        worker.RetireReason ??= reason;
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
}
