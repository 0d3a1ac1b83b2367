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
                // READY's payload is "pid python-version[ stack-fd]"; a forked worker's pid is known only from it.
                string[] ready = done.Text.Split(' ', 3);
                if (worker.Pid == 0 && int.TryParse(ready[0], out int pid))
                {
                    worker.Pid = pid;
                    done.Channel.Name = worker.Name;
                }
                if (ready.Length > 2 && int.TryParse(ready[2], out int stackFd))
                {
                    worker.StackDump = new StackDump(worker.Pid, stackFd);
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

    private void AddChannel(WorkerProcess worker, WorkerChannel channel)
    {
        worker.Channels.Add(channel);
        channel.PipelineDepth = _options.PipelineDepth;
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
        NoteBootFailure(worker, exitCode);
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
        _pool.Remove(channel);
        WorkerProcess? worker = _workers.Values.FirstOrDefault(w => w.Channels.Contains(channel));
        _ = channel.DisposeAsync().AsTask();
        // Only once no channel runs a request: closing a channel under a request would fail it.
        if (worker is not null && worker.Channels.All(c => c.IdleSince is not null))
        {
            // End of file on its channels tells the worker to exit; TerminateAt covers one that does not.
            foreach (WorkerChannel other in worker.Channels)
            {
                _ = other.DisposeAsync().AsTask();
            }
            worker.TerminateAt ??= Environment.TickCount64 + (long)TerminateGrace.TotalMilliseconds;
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
