using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>--max-requests with jitter under wrk's load: workers are replaced again and again, and no request fails,
/// because a worker's successor is ready before it stops taking requests.</summary>
[Collection(LoadTestCollection.Name)]
public sealed class RecyclingUnderLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MaxRequestsRecyclesWorkersUnderLoadWithZeroFailures()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2", "--max-requests", "200", "--max-requests-jitter", "20"]);
        var mark = site.Process.LineCount;

        var report = await Wrk.RunAsync(site.Url, connections: 16, duration: TimeSpan.FromSeconds(5));

        output.WriteLine($"--max-requests 200 under load: {report}");
        Assert.True(report.Requests > 0, $"wrk counted no requests:\n{report.Text}");
        Assert.True(report.NonSuccessResponses == 0, $"{report.NonSuccessResponses} responses were not 2xx/3xx while workers recycled:\n{report.Text}");
        Assert.True(report.SocketErrors.Total == 0, $"wrk saw socket errors while workers recycled: {report.SocketErrors}\n{report.Text}");
        var recycled = site.CountLines(new Regex(@"Recycling worker \d+ \(pid \d+\): it served \d+ requests \(--max-requests\)"), mark);
        Assert.True(recycled >= 2, $"{recycled} \"Recycling worker\" lines for {report.Requests} requests with --max-requests 200.\n{site.Process.Describe()}");
        Assert.True(site.CountLines(new Regex(@"Retiring worker \d+ \(pid \d+\): served \d+ requests"), mark) >= 2,
            $"Recycled workers were not retired.\n{site.Process.Describe()}");
        // Every recycled worker is gone in the end: two workers, not two plus leftovers.
        Assert.True(await site.WorkerCountBecomesAsync(2, TimeSpan.FromSeconds(10)),
            $"{site.Workers.Count} worker processes after the load instead of 2.\n{site.Process.Describe()}");
    }
}
