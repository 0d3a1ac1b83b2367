using System.Diagnostics;

namespace OpenLoop;

/// <summary>Every request's latency, from its due time (or its send, if it left early) to its response's last byte,
/// kept apart for fast and slow requests; and how late the schedule sent each one.</summary>
public sealed class LatencyRecorder
{
    private readonly Lock _gate = new();
    private readonly List<long> _fast = [], _slow = [], _lateness = [];
    private readonly Dictionary<int, int> _statuses = [];
    private readonly Dictionary<Failure, int> _failures = [];
    private bool _frozen;

    public void Completed(ScheduledRequest request, int status, long now)
    {
        lock (_gate)
        {
            if (_frozen)
            {
                return;
            }
            Latencies(request).Add(now - Math.Min(request.Due, request.Sent));
            _lateness.Add(Math.Max(0, request.Sent - request.Due));
            _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
        }
    }

    /// <summary>A request that got no response. A timed-out one also counts in the latencies, at the time it was
    /// given up: its latency was at least that, and leaving it out would flatter the tail.</summary>
    public void Failed(ScheduledRequest request, Failure failure, long now)
    {
        lock (_gate)
        {
            if (_frozen)
            {
                return;
            }
            _failures[failure] = _failures.GetValueOrDefault(failure) + 1;
            if (failure == Failure.Timeout)
            {
                Latencies(request).Add(now - request.Due);
            }
        }
    }

    public void Freeze()
    {
        lock (_gate)
        {
            _frozen = true;
        }
    }

    private List<long> Latencies(ScheduledRequest request) => request.Slow ? _slow : _fast;

    public Summary Fast => Summarize(_fast);
    public Summary Slow => Summarize(_slow);
    public Summary Lateness => Summarize(_lateness);
    public IReadOnlyDictionary<int, int> Statuses => _statuses;
    public IReadOnlyDictionary<Failure, int> Failures => _failures;

    private Summary Summarize(List<long> ticks)
    {
        lock (_gate)
        {
            long[] sorted = [.. ticks];
            Array.Sort(sorted);
            return new Summary(sorted);
        }
    }
}

/// <summary>Percentiles by nearest rank over every value (no histogram buckets), in milliseconds.</summary>
public sealed class Summary(long[] sortedTicks)
{
    public int Count => sortedTicks.Length;

    public double? Percentile(double p) =>
        Count == 0 ? null : Milliseconds(sortedTicks[Math.Clamp((int)Math.Ceiling(p / 100 * Count) - 1, 0, Count - 1)]);

    public double? Max => Count == 0 ? null : Milliseconds(sortedTicks[^1]);

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
