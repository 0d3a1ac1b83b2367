using PyHost.Workers.Channel;
using PyHost.Workers.Observability;

namespace PyHost.Workers.Supervision;

// What operators ask for: reloads, scaling, stopping.
public sealed partial class Arbiter
{
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
        _reload = new ReloadInProgress(_generation, _generation - 1, _options, request.Done, Environment.TickCount64);
        if (request.Options is { } options)
        {
            // A configuration reload: the new generation runs with the new settings; a changed worker count is the
            // new target (an unchanged one keeps what `pyhost scale` or scaling set).
            if (options.Workers != _options.Workers)
            {
                _targetWorkers = options.Workers;
            }
            _options = options;
        }
        LogReloadStarted(ForApp, request.Reason, _generation, _targetWorkers);
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
        LogReloadDone(ForApp, reload.Generation, ready, milliseconds);
        reload.Done.TrySetResult($"ok: {ready} workers of generation {reload.Generation} ready in {milliseconds} ms; the old ones are draining");
    }

    private void AbandonReload(ReloadInProgress reload, string reason)
    {
        _reload = null;
        _generation = reload.PreviousGeneration;
        if (!ReferenceEquals(_options, reload.PreviousOptions))
        {
            if (_options.Workers != reload.PreviousOptions.Workers)
            {
                _targetWorkers = reload.PreviousOptions.Workers;
            }
            _options = reload.PreviousOptions;   // the old generation keeps the settings it runs with
        }
        foreach (WorkerProcess fresh in _workers.Values.Where(w => w.Generation == reload.Generation && !w.Retiring).ToList())
        {
            Retire(fresh, RetireCause.Reload, "its reload was abandoned");
        }
        LogReloadFailed(ForApp, reason);
        reload.Done.TrySetResult($"error: the new code did not start; the running workers keep serving.\n{reason}");
    }

    private void Scale(ScaleRequested request)
    {
        int floor = 1;
        int wanted = request.Absolute ?? _targetWorkers + request.Delta;
        _targetWorkers = Math.Max(floor, wanted);
        LogScaled(ForApp, _targetWorkers, request.Absolute is null ? (request.Delta > 0 ? "SIGTTIN" : "SIGTTOU") : "pyhost scale");
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
}
