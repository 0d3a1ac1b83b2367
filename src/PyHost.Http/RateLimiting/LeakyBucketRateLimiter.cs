using System.Threading.RateLimiting;

namespace PyHost.Http.RateLimiting;

/// <summary>
/// nginx's <c>limit_req</c> as a <see cref="PartitionedRateLimiter{TResource}"/> keyed by text: each key has a bucket
/// that leaks at <c>rate</c>; a request adds one. Past <c>burst</c> over the rate it is refused, with the time until
/// it would fit as Retry-After. Without <c>nodelay</c> a request within the burst waits until its turn at the rate
/// (<see cref="AcquireAsyncCore"/>); with it, it passes at once. A key whose bucket has drained holds nothing worth
/// keeping, and the store keeps at most <c>maxKeys</c> keys (<see cref="BoundedKeyStore{T}"/>), so a flood of
/// distinct clients cannot grow memory without bound.
/// </summary>
public sealed class LeakyBucketRateLimiter : PartitionedRateLimiter<string>
{
    private readonly double _perSecond;
    private readonly double _burst;
    private readonly bool _noDelay;
    private readonly TimeProvider _time;
    private readonly BoundedKeyStore<Bucket> _buckets;
    private long _refused;

    public LeakyBucketRateLimiter(double perSecond, int burst, bool noDelay, int maxKeys, TimeProvider? time = null)
    {
        _perSecond = perSecond;
        _burst = burst;
        _noDelay = noDelay;
        _time = time ?? TimeProvider.System;
        _buckets = new BoundedKeyStore<Bucket>(maxKeys);
    }

    /// <summary>Keys remembered now (at most maxKeys).</summary>
    public int KeyCount => _buckets.Count;

    /// <summary>One bucket: requests over the rate not yet drained, and when that was last worked out.</summary>
    private sealed class Bucket
    {
        public double Excess;
        public long At;
    }

    public override RateLimiterStatistics? GetStatistics(string resource) =>
        new() { CurrentAvailablePermits = 0, TotalFailedLeases = Interlocked.Read(ref _refused) };

    /// <summary>Without waiting: a request within the burst passes at once, as with nodelay.</summary>
    protected override RateLimitLease AttemptAcquireCore(string resource, int permitCount)
    {
        (bool admitted, TimeSpan wait) = Take(resource, permitCount);
        return admitted ? Lease.Admitted : Lease.Refused(wait);
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(string resource, int permitCount, CancellationToken cancellationToken)
    {
        (bool admitted, TimeSpan wait) = Take(resource, permitCount);
        if (!admitted)
        {
            return Lease.Refused(wait);
        }
        if (wait > TimeSpan.Zero && !_noDelay)
        {
            await Task.Delay(wait, _time, cancellationToken);
        }
        return Lease.Admitted;
    }

    /// <summary>
    /// ngx_http_limit_req_lookup: a key's first request finds an empty bucket (excess 0); each later one makes it
    /// excess = max(0, excess - rate * elapsed + 1). Over burst → refused, the bucket unchanged; else kept, and a
    /// request without nodelay waits excess / rate.
    /// </summary>
    private (bool Admitted, TimeSpan Wait) Take(string key, int permits)
    {
        if (permits == 0)
        {
            return (true, TimeSpan.Zero);
        }
        long now = _time.GetTimestamp();
        Bucket bucket = _buckets.GetOrAdd(key, static () => new Bucket { Excess = 0, At = 0 });
        lock (bucket)
        {
            double excess = bucket.At == 0
                ? permits - 1
                : Math.Max(0, bucket.Excess - _perSecond * ((double)(now - bucket.At) / _time.TimestampFrequency) + permits);
            if (excess > _burst)
            {
                Interlocked.Increment(ref _refused);
                return (false, TimeSpan.FromSeconds((excess - _burst) / _perSecond));
            }
            bucket.Excess = excess;
            bucket.At = now;
            return (true, TimeSpan.FromSeconds(excess / _perSecond));
        }
    }

    /// <summary>A lease that holds nothing: admitted, or refused with how long to wait.</summary>
    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Admitted = new(true, null);

        public static Lease Refused(TimeSpan retryAfter) => new(false, retryAfter);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
