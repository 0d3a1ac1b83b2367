using PyHost.Http.Observability;

namespace PyHost.Http.Tests.Observability;

public class RequestStatisticsTests
{
    [Fact]
    public void PercentilesComeFromTheLastSecondsAndTheSecondStillRunningIsLeftOut()
    {
        long now = 100_000;
        var statistics = new RequestStatistics(() => now);
        for (int i = 1; i <= 100; i++)
        {
            statistics.Record(200, TimeSpan.FromMilliseconds(i));   // 1 ms … 100 ms
        }
        Assert.Null(statistics.Summary().P50Milliseconds);   // all in the second still running

        now += 1000;
        var summary = statistics.Summary();

        Assert.Equal(100, summary.Total);
        // Buckets a factor 2^¼ apart: the bound above the true value, within 19%.
        Assert.InRange(summary.P50Milliseconds!.Value, 50, 50 * 1.19);
        Assert.InRange(summary.P90Milliseconds!.Value, 90, 90 * 1.19);
        Assert.InRange(summary.P99Milliseconds!.Value, 99, 99 * 1.19);
        Assert.Equal(100 / 5.0, summary.PerSecond);
        Assert.Equal(100, summary.ByStatus["2xx"]);
    }

    [Fact]
    public void OldSecondsLeaveTheWindowAndTheRateCountsOnlyTheLastFive()
    {
        long now = 0;
        var statistics = new RequestStatistics(() => now);
        for (int second = 0; second < 20; second++)
        {
            now = second * 1000;
            for (int i = 0; i < 10; i++)
            {
                statistics.Record(second < 15 ? 500 : 200, TimeSpan.FromMilliseconds(second < 15 ? 1000 : 2));
            }
        }
        now = 20_000;

        var summary = statistics.Summary();

        Assert.Equal(10, summary.PerSecond);
        Assert.Equal(200, summary.Total);
        Assert.Equal((150L, 50L), (summary.ByStatus["5xx"], summary.ByStatus["2xx"]));
        // The window holds seconds 10-19: 50 slow, 50 fast. Had seconds 0-9 (100 slow) stayed, the median would be slow.
        Assert.InRange(summary.P50Milliseconds!.Value, 2, 2 * 1.19);
        Assert.InRange(summary.P90Milliseconds!.Value, 1000, 1000 * 1.19);
    }

    [Fact]
    public void NoRequestsMeansNoPercentiles()
    {
        var summary = new RequestStatistics(() => 5000).Summary();
        Assert.Equal((0L, 0.0, null, null), (summary.Total, summary.PerSecond, summary.P50Milliseconds, summary.P99Milliseconds));
    }
}
