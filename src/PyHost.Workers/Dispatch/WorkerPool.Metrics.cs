using System.Diagnostics;
using System.Diagnostics.Metrics;
using PyHost.Workers.Observability;

namespace PyHost.Workers.Dispatch;

// How long requests wait for a worker: the pool is the one that knows.
public sealed partial class WorkerPool
{
    private static readonly Meter PoolMeter = new(WorkerMetrics.MeterName);

    // Web-latency buckets from 100 µs: most requests find a worker at once, and a wait of seconds is an outage.
    private static readonly Histogram<double> WaitDuration = PoolMeter.CreateHistogram<double>(
        "pyhost.queue.wait.duration", "s", "How long requests waited for a worker (0 for those that found one free).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    private KeyValuePair<string, object?> AppTag => new("app", _options.AppName);

    private void RecordWait(long waitStartedAt)
    {
        if (WaitDuration.Enabled)
        {
            double seconds = waitStartedAt == 0 ? 0 : Stopwatch.GetElapsedTime(waitStartedAt).TotalSeconds;
            WaitDuration.Record(seconds, AppTag);
        }
    }
}
