using PyHost.Workers.Observability;

namespace PyHost.Http.Observability;

/// <summary>
/// One app's requests over a sliding window of one-second slots, each with a log-scale latency histogram (buckets a
/// factor 2^¼ apart from 50 µs: under 19% error, enough to chart). Prometheus gets exact histograms from the metrics;
/// this is for the live views, which need percentiles without a query engine. Recording takes one short lock.
/// </summary>
public sealed class RequestStatistics
{
    public const int RateWindowSeconds = 5;
    public const int LatencyWindowSeconds = 10;

    private const int Slots = LatencyWindowSeconds + 2;
    private const int Buckets = 96;
    private const double SmallestMicroseconds = 50;

    private readonly Slot[] _slots = Enumerable.Range(0, Slots).Select(_ => new Slot()).ToArray();
    private readonly long[] _byStatusClass = new long[6];
    private readonly Func<long> _clock;
    private long _total;

    /// <param name="clock">Milliseconds (Environment.TickCount64 by default); tests pass their own.</param>
    public RequestStatistics(Func<long>? clock = null)
    {
        _clock = clock ?? (() => Environment.TickCount64);
    }

    public void Record(int status, TimeSpan duration)
    {
        Interlocked.Increment(ref _total);
        Interlocked.Increment(ref _byStatusClass[Math.Clamp(status / 100, 0, 5)]);
        long second = _clock() / 1000;
        Slot slot = _slots[second % Slots];
        int bucket = BucketOf(duration.TotalMicroseconds);
        lock (slot)
        {
            if (slot.Second != second)
            {
                slot.Second = second;
                slot.Count = 0;
                Array.Clear(slot.Histogram);
            }
            slot.Count++;
            slot.Histogram[bucket]++;
        }
    }

    /// <summary>Totals, the rate over the last <see cref="RateWindowSeconds"/> whole seconds, and percentiles over the
    /// last <see cref="LatencyWindowSeconds"/>.</summary>
    public RequestSummary Summary()
    {
        long current = _clock() / 1000;
        long rateCount = 0;
        var merged = new long[Buckets];
        long latencyCount = 0;
        foreach (Slot slot in _slots)
        {
            lock (slot)
            {
                long age = current - slot.Second;
                if (age < 1 || age > LatencyWindowSeconds)
                {
                    continue;   // the second still running is partial; older ones are gone
                }
                if (age <= RateWindowSeconds)
                {
                    rateCount += slot.Count;
                }
                latencyCount += slot.Count;
                for (int i = 0; i < Buckets; i++)
                {
                    merged[i] += slot.Histogram[i];
                }
            }
        }
        var byStatus = new Dictionary<string, long>();
        for (int i = 1; i < _byStatusClass.Length; i++)
        {
            byStatus[$"{i}xx"] = Interlocked.Read(ref _byStatusClass[i]);
        }
        return new RequestSummary(Interlocked.Read(ref _total), byStatus, rateCount / (double)RateWindowSeconds,
            Percentile(merged, latencyCount, 0.50), Percentile(merged, latencyCount, 0.90), Percentile(merged, latencyCount, 0.99),
            LatencyWindowSeconds);
    }

    private static int BucketOf(double microseconds) =>
        microseconds <= SmallestMicroseconds ? 0 : Math.Min(Buckets - 1, (int)Math.Ceiling(4 * Math.Log2(microseconds / SmallestMicroseconds)));

    /// <summary>The upper bound of the bucket holding the percentile, in milliseconds; null without requests.</summary>
    private static double? Percentile(long[] histogram, long count, double quantile)
    {
        if (count == 0)
        {
            return null;
        }
        long rank = (long)Math.Ceiling(quantile * count);
        long seen = 0;
        for (int i = 0; i < histogram.Length; i++)
        {
            seen += histogram[i];
            if (seen >= rank)
            {
                return Math.Round(SmallestMicroseconds * Math.Pow(2, i / 4.0) / 1000, 3);
            }
        }
        return null;
    }

    private sealed class Slot
    {
        public long Second = -1;
        public long Count;
        public readonly long[] Histogram = new long[Buckets];
    }
}
