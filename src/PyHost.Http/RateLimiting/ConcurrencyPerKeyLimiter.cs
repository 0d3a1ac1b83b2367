using System.Threading.RateLimiting;

namespace PyHost.Http.RateLimiting;

/// <summary>
/// nginx's <c>limit_conn</c> for requests: at most <c>max</c> requests in progress per key at once. A key is held only
/// while it has requests in progress, so memory follows the requests under way, never the clients ever seen.
/// </summary>
public sealed class ConcurrencyPerKeyLimiter(int max) : PartitionedRateLimiter<string>
{
    private readonly Dictionary<string, int> _inProgress = new(StringComparer.Ordinal);
    private long _refused;

    public int KeyCount
    {
        get
        {
            lock (_inProgress)
            {
                return _inProgress.Count;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics(string resource)
    {
        lock (_inProgress)
        {
            return new RateLimiterStatistics { CurrentAvailablePermits = max - _inProgress.GetValueOrDefault(resource), TotalFailedLeases = Interlocked.Read(ref _refused) };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(string resource, int permitCount)
    {
        lock (_inProgress)
        {
            int now = _inProgress.GetValueOrDefault(resource);
            if (now + permitCount > max)
            {
                Interlocked.Increment(ref _refused);
                return new Lease(this, resource, 0);
            }
            if (permitCount > 0)
            {
                _inProgress[resource] = now + permitCount;
            }
        }
        return new Lease(this, resource, permitCount == 0 ? -1 : permitCount);
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(string resource, int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(resource, permitCount));

    private void Release(string resource, int permits)
    {
        lock (_inProgress)
        {
            int left = _inProgress.GetValueOrDefault(resource) - permits;
            if (left <= 0)
            {
                _inProgress.Remove(resource);
            }
            else
            {
                _inProgress[resource] = left;
            }
        }
    }

    /// <summary>Holds its permits until disposed; permits 0 = refused, -1 = acquired nothing.</summary>
    private sealed class Lease(ConcurrencyPerKeyLimiter owner, string resource, int permits) : RateLimitLease
    {
        private readonly bool _acquired = permits != 0;
        private int _held = permits;

        public override bool IsAcquired => _acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            int held = Interlocked.Exchange(ref _held, 0);
            if (held > 0)
            {
                owner.Release(resource, held);
            }
        }
    }
}
