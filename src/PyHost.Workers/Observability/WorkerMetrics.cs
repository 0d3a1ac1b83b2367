using System.Diagnostics.Metrics;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Observability;

/// <summary>
/// One app's worker instruments (System.Diagnostics.Metrics, exported as Prometheus text and over OTLP by the admin
/// listener). The gauges are read at collection time from the arbiter's published view; nothing here runs per request.
/// Names follow OpenTelemetry's conventions; Prometheus sees pyhost_workers, pyhost_worker_restarts_total, ….
/// </summary>
public sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "PyHost.Workers";

    private readonly Meter _meter = new(MeterName);
    private readonly KeyValuePair<string, object?> _app;
    private readonly Counter<long> _restarts;
    private readonly Counter<long> _timeouts;

    public WorkerMetrics(string app, Func<AppStatus> status)
    {
        _app = new("app", app);
        _restarts = _meter.CreateCounter<long>("pyhost.worker.restarts", "{worker}", "Workers replaced, by reason: timeout, crash, max_requests, memory, reload.");
        _timeouts = _meter.CreateCounter<long>("pyhost.worker.timeouts", "{request}", "Requests that ran past --timeout (answered 504; their worker is replaced).");
        // Every series from the start, at 0: a rate() over a counter that appears only at its first event misses it.
        foreach (RetireCause cause in Enum.GetValues<RetireCause>().Where(c => c.IsRestart()))
        {
            Restarted(cause, 0);
        }
        _timeouts.Add(0, _app);
        _meter.CreateObservableGauge("pyhost.workers", () => ObserveStates(status()), "{worker}", "Worker processes by state: booting, idle, busy, retiring.");
        _meter.CreateObservableGauge("pyhost.workers.memory.rss", () => ObserveMemory(status()), "By", "Resident memory of the app's workers: the sum and the largest.");
        _meter.CreateObservableGauge("pyhost.queue.requests", () => ObserveQueue(status()), "{request}", "Requests not yet running: waiting in the front's queue, or pipelined behind a busy worker's request.");
    }

    /// <summary>The front's buffer budget, shared by every app: observed once, for the server's life.</summary>
    public static IDisposable ObserveBuffers(BufferBudget buffers)
    {
        var meter = new Meter(MeterName);
        meter.CreateObservableGauge("pyhost.buffers.usage", () => new[]
        {
            new Measurement<long>(buffers.MemoryInUse, new KeyValuePair<string, object?>("storage", "memory")),
            new Measurement<long>(buffers.DiskInUse, new KeyValuePair<string, object?>("storage", "disk")),
        }, "By", "Request and response bytes the front holds for slow clients, in memory and in temporary files.");
        return meter;
    }

    public void Restarted(RetireCause cause, long count = 1) => _restarts.Add(count, _app, new KeyValuePair<string, object?>("reason", cause.Label()));

    public void TimedOut() => _timeouts.Add(1, _app);

    private IEnumerable<Measurement<int>> ObserveStates(AppStatus status)
    {
        foreach (string state in (string[])["booting", "idle", "busy", "retiring"])
        {
            int count = status.Workers.Count(w => w.Kind == "worker" && w.State == state);
            yield return new Measurement<int>(count, _app, new KeyValuePair<string, object?>("state", state));
        }
    }

    private IEnumerable<Measurement<long>> ObserveMemory(AppStatus status)
    {
        long[] sizes = status.Workers.Select(w => w.MemoryRssBytes ?? 0).ToArray();
        yield return new Measurement<long>(sizes.Sum(), _app, new KeyValuePair<string, object?>("aggregate", "sum"));
        yield return new Measurement<long>(sizes.DefaultIfEmpty(0).Max(), _app, new KeyValuePair<string, object?>("aggregate", "max"));
    }

    private IEnumerable<Measurement<int>> ObserveQueue(AppStatus status)
    {
        yield return new Measurement<int>(status.Queue.Waiting, _app, new KeyValuePair<string, object?>("where", "front"));
        yield return new Measurement<int>(status.Queue.Pipelined, _app, new KeyValuePair<string, object?>("where", "worker"));
    }

    public void Dispose() => _meter.Dispose();
}
