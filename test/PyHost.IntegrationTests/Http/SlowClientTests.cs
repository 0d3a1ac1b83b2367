using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Http;

/// <summary>
/// Slow and hostile clients never hold a worker: the front reads request bodies whole before it asks for a worker,
/// and takes responses as fast as the worker makes them, so a slow client costs a connection and some buffer, not a
/// worker. Each test would starve the site on a front that passes back-pressure straight through.
/// </summary>
public sealed class SlowClientTests(ITestOutputHelper output)
{
    private const int NormalRequests = 50;

    [Fact]
    public async Task ThreeUploadersAt300BytesASecondLeaveATwoWorkerSiteAnswering()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2", "--timeout", "120"]);
        using var stop = new CancellationTokenSource();
        List<Task> uploaders = Enumerable.Range(0, 3).Select(_ => UploadSlowlyAsync(site.Server, 100_000, stop.Token)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1));   // connected, and dribbling their bodies

        TimeSpan elapsed = await SendNormalRequestsAsync(site);

        output.WriteLine($"{NormalRequests} requests took {elapsed.TotalMilliseconds:0} ms beside three slow uploaders.");
        Assert.DoesNotContain("sleep started", site.Process.Output);
        await stop.CancelAsync();
        await Task.WhenAll(uploaders);
    }

    [Fact]
    public async Task ThreeClientsThatDoNotReadA64MiBResponseLeaveATwoWorkerSiteAnswering()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2", "--timeout", "120"]);
        var readers = new List<RawHttpConnection>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                RawHttpConnection reader = await site.Server.ConnectAsync();
                readers.Add(reader);
                await reader.SendAsync(site.Server.Request("GET", "/bytes?mib=64"));
            }
            // The app finished sending each response, though no client has read a byte: the front took it all.
            var (allSent, sent) = await Poll.UntilAsync(() => Task.FromResult(Regex.Matches(site.Process.Output, @"sent 64 MiB in \d+").Count),
                count => count == 3, TimeSpan.FromSeconds(60));
            Assert.True(allSent, $"Only {sent} of the 3 responses were taken from the app while their clients did not read.\n{site.Process.Describe()}");

            TimeSpan elapsed = await SendNormalRequestsAsync(site);
            output.WriteLine($"{NormalRequests} requests took {elapsed.TotalMilliseconds:0} ms beside three clients that do not read.");

            // What was buffered reaches the client whole, at its own pace.
            RawHttpResponse whole = await readers[0].ReadResponseAsync();
            Assert.Equal(64L << 20, whole.Body.LongLength);
            Assert.All(whole.Body, b => Assert.Equal(0x5a, b));
        }
        finally
        {
            foreach (RawHttpConnection reader in readers)
            {
                await reader.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TheOnlyWorkerServesTheNextRequestWhileASlowClientIsStillReadingTheLastResponse()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--timeout", "120"]);
        AppAnswer before = await site.GetAsync();
        await using RawHttpConnection reader = await site.Server.ConnectAsync();
        await reader.SendAsync(site.Server.Request("GET", "/bytes?mib=16"));
        await site.Process.WaitForOutputAsync(new Regex(@"sent 16 MiB in \d+"), TimeSpan.FromSeconds(30));

        AppAnswer next = await site.GetAsync();

        Assert.Equal(before.Pid, next.Pid);
    }

    [Fact]
    public async Task ATimeoutCountsOnlyTheAppsTimeNotTheTimeASlowClientTakesToRead()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--timeout", "2"]);
        AppAnswer before = await site.GetAsync();
        await using RawHttpConnection reader = await site.Server.ConnectAsync();
        await reader.SendAsync(site.Server.Request("GET", "/bytes?mib=16"));

        await Task.Delay(TimeSpan.FromSeconds(4));   // twice the timeout without reading a byte
        RawHttpResponse response = await reader.ReadResponseAsync();

        Assert.Equal(16L << 20, response.Body.LongLength);
        Assert.DoesNotContain("timed out", site.Process.Output);
        Assert.Equal(before.Pid, (await site.GetAsync()).Pid);
    }

    [Fact]
    public async Task ATimeoutBeforeTheResponseStartedIsA504PageAndTheLogSaysSo()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--timeout", "1"]);

        RawHttpResponse response = await site.Server.GetAsync("/sleep?seconds=30");

        response.AssertStatus(504);
        Assert.Contains("did not answer in time", response.BodyText);
        await site.Process.WaitForOutputAsync(new Regex(@"GET /sleep\?seconds=30 ran past --timeout: the client got a 504 page"), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ATimeoutAfterTheResponseStartedCutsTheConnectionAfterWhatWasSentAndTheLogSaysSo()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--timeout", "1"]);
        await using RawHttpConnection connection = await site.Server.ConnectAsync();
        await connection.SendAsync(site.Server.Request("GET", "/hang-after-start?seconds=30"));

        RawHttpResponse? response = await connection.ReadResponseOrNullAsync();

        Assert.NotNull(response);
        Assert.Equal(200, response.StatusCode);
        Assert.False(response.IsComplete, "The response looks complete, though the app never finished it.");
        Assert.Equal("started;", response.BodyText);
        await site.Process.WaitForOutputAsync(
            new Regex(@"GET /hang-after-start\?seconds=30 ran past --timeout after its response had started: the connection was cut after 8 body bytes"),
            TimeSpan.FromSeconds(5));
    }

    private async Task<TimeSpan> SendNormalRequestsAsync(SupervisedServer site)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < NormalRequests; i++)
        {
            // Each within the connection's 10 s read timeout: a starved site fails here.
            (await site.Server.GetAsync("/")).AssertStatus(200);
        }
        return clock.Elapsed;
    }

    /// <summary>Sends a request whose body comes at about 300 bytes a second, until the body ends or the test stops.</summary>
    private static async Task UploadSlowlyAsync(PyHostServer server, int length, CancellationToken stop)
    {
        await using RawHttpConnection connection = await server.ConnectAsync();
        await connection.SendAsync(server.Request("POST", "/sleep?seconds=0", [$"Content-Length: {length}"]));
        byte[] piece = new byte[30];
        Array.Fill(piece, (byte)'u');
        try
        {
            for (int sent = 0; sent < length; sent += piece.Length)
            {
                await connection.SendAsync(piece);
                await Task.Delay(100, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
