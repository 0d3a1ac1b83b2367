using System.Threading.RateLimiting;
using PyHost.Http.RateLimiting;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.RateLimiting;

public sealed class LeakyBucketRateLimiterTests
{
    private readonly ManualTime _time = new();

    private static TimeSpan RetryAfter(RateLimitLease lease)
    {
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan wait), "no Retry-After");
        return wait;
    }

    [Fact]
    public void WithNodelayTheBurstPassesAtOnceAndThenOneRequestPerTickOfTheRate()
    {
        using var limiter = new LeakyBucketRateLimiter(perSecond: 2, burst: 3, noDelay: true, maxKeys: 1000, _time);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(limiter.AttemptAcquire("192.0.2.1").IsAcquired, $"request {i + 1} of rate + burst");
        }
        RateLimitLease refused = limiter.AttemptAcquire("192.0.2.1");
        Assert.False(refused.IsAcquired);
        Assert.Equal(TimeSpan.FromSeconds(0.5), RetryAfter(refused));
        Assert.True(limiter.AttemptAcquire("192.0.2.2").IsAcquired);   // another key has its own bucket

        _time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.True(limiter.AttemptAcquire("192.0.2.1").IsAcquired);
        Assert.False(limiter.AttemptAcquire("192.0.2.1").IsAcquired);
        _time.Advance(TimeSpan.FromSeconds(10));
        for (int i = 0; i < 4; i++)
        {
            Assert.True(limiter.AttemptAcquire("192.0.2.1").IsAcquired);
        }
    }

    [Fact]
    public void ARefusedRequestDoesNotFillTheBucket()
    {
        using var limiter = new LeakyBucketRateLimiter(perSecond: 1, burst: 0, noDelay: true, maxKeys: 1000, _time);
        Assert.True(limiter.AttemptAcquire("k").IsAcquired);
        for (int i = 0; i < 50; i++)
        {
            Assert.False(limiter.AttemptAcquire("k").IsAcquired);
        }
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.AttemptAcquire("k").IsAcquired);   // nginx: a refused request changes nothing
    }

    [Fact]
    public async Task WithoutNodelayARequestInTheBurstWaitsItsTurnAtTheRate()
    {
        using var limiter = new LeakyBucketRateLimiter(perSecond: 5, burst: 2, noDelay: false, maxKeys: 1000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        RateLimitLease[] leases = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => limiter.AcquireAsync("k").AsTask()));
        // One at once, two in the burst waiting their turn, the fourth past the burst refused at once.
        Assert.Equal([true, true, true, false], leases.Select(lease => lease.IsAcquired));
        // The third is the second over the rate: it waits 2 / 5 s, as nginx delays it.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.35), $"waited only {clock.Elapsed}");
    }

    [Fact]
    public void AMillionDistinctClientsDoNotGrowMemoryPastMaxKeys()
    {
        const int maxKeys = 10_000;
        using var limiter = new LeakyBucketRateLimiter(perSecond: 10, burst: 5, noDelay: true, maxKeys, _time);
        for (int i = 0; i < 1000; i++)
        {
            limiter.AttemptAcquire($"warm-{i}");
        }
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < 1_000_000; i++)
        {
            // Addresses as the front writes them: 10.x.y.z, each one new.
            Assert.True(limiter.AttemptAcquire($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}").IsAcquired);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.True(limiter.KeyCount <= maxKeys, $"{limiter.KeyCount} keys remembered");
        Assert.True(after - before < 8 << 20, $"memory grew by {(after - before) >> 20} MiB for a million clients");
    }

    [Fact]
    public void TheLeastRecentlySeenKeyIsTheOneForgotten()
    {
        var store = new BoundedKeyStore<object>(16 * 2);   // two keys per stripe
        // Fill, touching "steady" between every new key: it must survive whatever its stripe.
        object steady = store.GetOrAdd("steady", () => new object());
        for (int i = 0; i < 10_000; i++)
        {
            store.GetOrAdd($"k{i}", () => new object());
            Assert.Same(steady, store.GetOrAdd("steady", () => new object()));
        }
        Assert.True(store.Count <= 32);
    }
}
