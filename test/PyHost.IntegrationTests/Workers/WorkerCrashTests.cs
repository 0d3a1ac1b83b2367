using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Workers;

/// <summary>A worker that dies mid-request (one worker, so its replacement is what answers next).</summary>
public sealed class WorkerCrashTests(Pep3333SingleWorkerServer fixture, ITestOutputHelper output)
    : ServedTest<Pep3333SingleWorkerServer>(fixture, output)
{
    [Fact]
    public async Task WorkerThatDiesMidRequestGivesA502AndIsReplaced()
    {
        var pidBefore = (await Server.GetAsync("/echo/before-crash")).AssertStatus(200).Json().GetProperty("pid").GetInt32();

        var crashed = await Server.GetAsync("/crash");
        var after = await Server.GetAsync("/echo/after-crash");

        crashed.AssertStatus(502);
        Assert.True(crashed.Body.Length < 2048, $"The 502 page is {crashed.Body.Length} bytes, not a short page:\n{crashed}");
        var pidAfter = after.AssertStatus(200).Json().GetProperty("pid").GetInt32();
        Assert.NotEqual(pidBefore, pidAfter);
        Assert.False(Posix.IsAlive(pidBefore), $"The worker that called os._exit ({pidBefore}) is still alive.");
    }
}
