using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>
/// --timeout for ASGI: the stuck request's task alone is cancelled, its awaiting stack logged, its client answered
/// 504, while the worker and its other requests go on (uvicorn #157, Granian #177). And the event loop watchdog.
/// </summary>
public sealed class AsgiTimeoutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AHungCoroutineGets504AndItsAwaitingStackIsLoggedWhileAConcurrentRequestOnTheSameWorkerSucceeds()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "-t", "2"]);
        int worker = (await site.GetJsonAsync("/hello")).GetProperty("pid").GetInt32();
        int mark = site.Process.LineCount;

        Task<RawHttpResponse> hung = site.Server.GetAsync("/hang");
        await Task.Delay(300);
        RawHttpResponse concurrent = await site.Server.GetAsync("/slow?0.5");
        RawHttpResponse timedOut = await hung;

        concurrent.AssertStatus(200);
        Assert.Equal(worker, concurrent.Json().GetProperty("pid").GetInt32());
        Assert.Equal(504, timedOut.StatusCode);
        Match logged = await site.Process.WaitForOutputAsync(new Regex(@"GET /hang ran past --timeout: its task is cancelled"), TimeSpan.FromSeconds(5), mark);
        // The stack is in the same log entry, but its lines reach us one by one after the first: wait for the last.
        await site.Process.WaitForOutputAsync(new Regex(@"await asyncio\.sleep\(3600\)"), TimeSpan.FromSeconds(5), mark);
        string after = site.Process.OutputSince(mark);
        Assert.Contains("asgi_features.py\", line", after);
        Assert.Contains("await asyncio.sleep(3600)", after);
        Assert.Contains("[ERROR]", after[..after.IndexOf(logged.Value, StringComparison.Ordinal)].Split('\n')[^1]);
        // The worker was not replaced: the same process answers, and no worker booted since.
        Assert.Equal(worker, (await site.GetJsonAsync("/hello")).GetProperty("pid").GetInt32());
        Assert.DoesNotContain("Booted worker", site.Process.OutputSince(mark));
    }

    [Fact]
    public async Task AStreamThatKeepsSendingIsNotCutByTheTimeout()
    {
        // The timeout counts from the request's last progress: a server-sent-event stream lives longer than it.
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "-t", "2"]);

        RawHttpResponse response = await site.Server.GetAsync("/tick?7");

        response.AssertStatus(200);
        Assert.True(response.IsComplete, response.ToString());
        Assert.EndsWith("tick 6\ndone\n", response.BodyText);
    }

    [Fact]
    public async Task ATaskThatIgnoresItsCancellationGetsItsWorkerReplaced()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "-t", "1", "--graceful-timeout", "1"]);
        int worker = (await site.GetJsonAsync("/hello")).GetProperty("pid").GetInt32();
        int mark = site.Process.LineCount;

        RawHttpResponse response = await site.Server.GetAsync("/stubborn");

        Assert.Equal(504, response.StatusCode);
        await site.Process.WaitForOutputAsync(new Regex(@"a request has ignored its cancellation for \d+\.\d s"), TimeSpan.FromSeconds(15), mark);
        await site.Process.WaitForOutputAsync(new Regex(@"Booted worker 2 \(pid \d+\)"), TimeSpan.FromSeconds(15), mark);
        Assert.True(await Eventually.HoldsAsync(() => !Posix.IsAlive(worker), TimeSpan.FromSeconds(15)), "the stubborn worker still runs");
        Assert.NotEqual(worker, (await site.GetJsonAsync("/hello")).GetProperty("pid").GetInt32());
    }

    [Fact]
    public async Task ABlockedEventLoopIsReportedWithTheBlockingCallWhileItBlocks()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);
        int mark = site.Process.LineCount;

        (await site.Server.GetAsync("/block?1.6")).AssertStatus(200);

        await site.Process.WaitForOutputAsync(new Regex(@"\[WARNING\] \[worker 1 \(pid \d+\)\] the event loop has been blocked for 1\.\d s by GET /block"), TimeSpan.FromSeconds(5), mark);
        // The blocking frame is a later line of the same entry: waited for, not read from a snapshot taken too soon.
        await site.Process.WaitForOutputAsync(new Regex(Regex.Escape("time.sleep(float(query or \"1.5\"))")), TimeSpan.FromSeconds(5), mark);
        await site.Process.WaitForOutputAsync(new Regex(@"the event loop runs again after 1\.\d s"), TimeSpan.FromSeconds(5), mark);
    }
}
