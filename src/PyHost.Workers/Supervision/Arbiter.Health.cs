using PyHost.Workers.Channel;
using PyHost.Workers.Observability;

namespace PyHost.Workers.Supervision;

// The clock: timeouts, recycling by request count and memory, boot deadlines, dynamic scaling.
public sealed partial class Arbiter
{
    private void OnTick()
    {
        long now = Environment.TickCount64;
        Volatile.Write(ref _lastTickAt, now);
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
                if (CloseWebSocketsBeforeTerminate(worker, now))
                {
                    continue;
                }
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
            // --max-worker-memory is checked by the worker itself after each request (RETIRING).
            if (worker.RequestLimit > 0 && worker.Channels.Sum(c => c.RequestsServed) >= worker.RequestLimit)
            {
                worker.ReplaceReason = $"served {worker.RequestLimit} requests (--max-requests)";
                LogRecycling(worker.Name, worker.ReplaceReason);
                foreach (WorkerChannel channel in worker.Channels)
                {
                    channel.IsDueForReplacement = true;
                }
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
        if (worker.IsAsgi)
        {
            CancelOverdueRequests(worker, now);
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
    /// The request gets its 504 now; the worker is asked for every thread's stack (faulthandler into its stack file,
    /// read into our log under this line), then terminated and replaced.
    /// </summary>
    private void TimeOut(WorkerProcess worker, WorkerChannel channel, TimeSpan age, long now)
    {
        string request = channel.DescribeCurrentRequest() ?? "a request";
        LogTimeout(worker.Name, age.TotalSeconds, request);
        worker.Retiring = true;
        channel.AbandonForTimeout();
        foreach (WorkerChannel other in worker.Channels)
        {
            other.RequestRetire();
        }
        DumpStackAtTimeout(worker, request, age.TotalSeconds);
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
        int queued = _pool.Queued;
        if (queued > 0 && !booting && _targetWorkers < _options.WorkersMax)
        {
            _targetWorkers++;
            LogScaled(ForApp, _targetWorkers, $"{queued} requests are waiting for a worker");
            return;
        }
        if (_targetWorkers > _options.Workers && queued == 0)
        {
            WorkerProcess? idle = serving.Where(w => w.State == WorkerState.Ready && w.Channels.Count > 0
                                                     && w.Channels.All(c => c.IdleSince is { } since && now - since > _options.IdleTimeout.TotalMilliseconds))
                                         .OrderByDescending(w => w.Id).FirstOrDefault();
            if (idle is not null)
            {
                _targetWorkers--;
                LogScaled(ForApp, _targetWorkers, $"{idle.Name} was idle for {_options.IdleTimeout.TotalSeconds:0} s");
                Retire(idle, RetireCause.ScaledDown, "idle (--idle-timeout)");
            }
        }
    }
}
