using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Http;

/// <summary>Requests wait for a free worker in a bounded queue (--max-queued-requests); beyond it, 503 with Retry-After at once.</summary>
public sealed class QueueTests
{
    [Fact]
    public async Task RequestBeyondTheQueueGets503WithRetryAfterWhileQueuedOnesAreServed()
    {
        await using var server = await PyHostServer.StartAsync("pep3333:app", ["--chdir", Repository.AppsDirectory, "-w", "1", "--max-queued-requests", "1"]);
        await using var busy = await server.ConnectAsync();
        await using var queued = await server.ConnectAsync();
        var mark = server.Process.LineCount;

        await busy.SendAsync(server.Request("GET", "/sleep?seconds=2"));
        await server.Process.WaitForOutputAsync(new System.Text.RegularExpressions.Regex(@"sleep started in \d+"), TimeSpan.FromSeconds(10), mark);
        await queued.SendAsync(server.Request("GET", "/echo/queued"));
        await Task.Delay(300);   // let it take the one place in the queue
        var rejected = await server.GetAsync("/echo/rejected");

        rejected.AssertStatus(503);
        Assert.Equal("1", rejected.Header("Retry-After"));
        (await busy.ReadResponseAsync()).AssertStatus(200);
        (await queued.ReadResponseAsync()).AssertStatus(200);
    }
}
