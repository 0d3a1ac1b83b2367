using System.Diagnostics;
using System.Net;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Http;

/// <summary>
/// Each limit and timeout answers as README "Limits and timeouts" says, just past its value, and a request within it
/// is served as before. One pyhost per test, with the limit set low.
/// </summary>
public sealed class LimitsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ARequestLineOverTheLimitIs414AndOneAtTheLimitIsServed()
    {
        await using var server = await StartAsync("--limit-request-line", "100");
        // "GET " + target + " HTTP/1.1" is 13 bytes besides the target.
        string atLimit = "/echo/" + new string('a', 100 - 13 - 6);

        (await server.SendAsync($"GET {atLimit} HTTP/1.1\r\nHost: test\r\n\r\n")).AssertStatus(200);
        (await server.SendAsync($"GET {atLimit}b HTTP/1.1\r\nHost: test\r\n\r\n")).AssertStatus(414);
    }

    [Fact]
    public async Task MoreHeaderFieldsThanTheLimitIs431()
    {
        await using var server = await StartAsync("--limit-request-fields", "10");

        // Host and nine more: ten fields.
        (await server.GetAsync("/echo", Fields(9))).AssertStatus(200);
        (await server.GetAsync("/echo", Fields(10))).AssertStatus(431);
    }

    [Theory]
    [InlineData("--limit-request-field_size")]
    [InlineData("--limit-request-field-size")]
    public async Task AHeaderFieldLineOverTheLimitIs431WithAPageUnderEitherSpelling(string flag)
    {
        await using var server = await StartAsync(flag, "100");
        // "X-A: " is 5 bytes: a 95-byte value makes a 100-byte line.
        (await server.GetAsync("/echo", "X-A: " + new string('v', 95))).AssertStatus(200);

        var refused = (await server.GetAsync("/echo", "X-A: " + new string('v', 96))).AssertStatus(431);

        Assert.Contains("longer than 100 bytes", refused.BodyText);
    }

    [Fact]
    public async Task AHeadThatTakesLongerThanTheHeaderTimeoutIs408AndClosed()
    {
        await using var server = await StartAsync("--header-timeout", "1");
        await using var slow = await server.ConnectAsync();
        slow.Timeout = TimeSpan.FromSeconds(8);
        var clock = Stopwatch.StartNew();
        await slow.SendAsync("GET /echo HTTP/1.1\r\nHost: test\r\nX-Slow: ");

        (await slow.ReadResponseAsync()).AssertStatus(408);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"408 only after {clock.Elapsed}");
        Assert.Null(await slow.ReadResponseOrNullAsync());
        (await server.GetAsync("/echo")).AssertStatus(200);
    }

    [Fact]
    public async Task AnIdleConnectionIsClosedAfterTheKeepAliveTimeout()
    {
        await using var server = await StartAsync("--keep-alive", "1");
        await using var connection = await server.ConnectAsync();
        connection.Timeout = TimeSpan.FromSeconds(8);
        await connection.SendAsync(server.Request("GET", "/echo"));
        (await connection.ReadResponseAsync()).AssertStatus(200);
        var clock = Stopwatch.StartNew();

        Assert.Null(await connection.ReadResponseOrNullAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"closed only after {clock.Elapsed}");
    }

    [Fact]
    public async Task KeepAliveZeroClosesAfterEachResponseAndSaysSo()
    {
        await using var server = await StartAsync("--keep-alive", "0");
        await using var connection = await server.ConnectAsync();
        await connection.SendAsync(server.Request("GET", "/echo"));

        var response = (await connection.ReadResponseAsync()).AssertStatus(200);

        Assert.Equal("close", response.Header("Connection"));
        Assert.Null(await connection.ReadResponseOrNullAsync());
    }

    [Fact]
    public async Task ABodySlowerThanTheMinimumRateIs408WithAPage()
    {
        await using var server = await StartAsync("--min-request-body-rate", "100000");
        await using var connection = await server.ConnectAsync();
        connection.Timeout = TimeSpan.FromSeconds(15);
        await connection.SendAsync("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 10000000\r\n\r\n");

        // 2 KiB a second: fine for Kestrel's 240 B/s default, far below this server's minimum once the 5 s grace is over.
        Task<RawHttpResponse> answer = connection.ReadResponseAsync();
        for (int second = 0; second < 12 && !answer.IsCompleted; second++)
        {
            await connection.SendAsync(new byte[2048]);
            await Task.WhenAny(answer, Task.Delay(1000));
        }

        var response = (await answer).AssertStatus(408);
        Assert.Contains("request body", response.BodyText);
        (await server.GetAsync("/echo")).AssertStatus(200);
    }

    [Fact]
    public async Task AConnectionOverTheTotalLimitGets503WithRetryAfterThenTheNextFits()
    {
        await using var server = await StartAsync("--max-connections", "3");
        var open = new List<RawHttpConnection>();
        for (int i = 0; i < 3; i++)
        {
            open.Add(await KeptOpenAsync(server, null));
        }

        await using (var refused = await server.ConnectAsync())
        {
            var response = (await refused.ReadResponseAsync()).AssertStatus(503);
            Assert.Equal("1", response.Header("Retry-After"));
            Assert.Contains("too many open connections", response.BodyText);
            Assert.Null(await refused.ReadResponseOrNullAsync());
        }

        // Once one closes (the server notices within moments), a new connection fits again.
        await open[0].DisposeAsync();
        var clock = Stopwatch.StartNew();
        RawHttpResponse next;
        while ((next = await server.GetAsync("/echo")).StatusCode == 503 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }
        next.AssertStatus(200);
        foreach (var connection in open.Skip(1))
        {
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task AClientOverItsOwnLimitGets503WhileOtherClientsAndTrustedProxiesAreServed()
    {
        await using var server = await StartAsync("--max-connections-per-client", "2");
        var busy = IPAddress.Parse("127.0.0.2");
        var open = new List<RawHttpConnection> { await KeptOpenAsync(server, busy), await KeptOpenAsync(server, busy) };

        await using (var third = await server.ConnectFromAsync(busy))
        {
            await third.SendAsync(server.Request("GET", "/echo"));
            (await third.ReadResponseAsync()).AssertStatus(503);
        }
        await using (var other = await server.ConnectFromAsync(IPAddress.Parse("127.0.0.3")))
        {
            await other.SendAsync(server.Request("GET", "/echo"));
            (await other.ReadResponseAsync()).AssertStatus(200);
        }
        // 127.0.0.1 is a trusted proxy (the default --forwarded-allow-ips): it carries many clients, so no per-client limit.
        for (int i = 0; i < 3; i++)
        {
            open.Add(await KeptOpenAsync(server, null));
        }
        foreach (var connection in open)
        {
            await connection.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("--limit-request-line", "-1", "--limit-request-line takes a whole number, not '-1'")]
    [InlineData("--limit-request-fields", "40000", "--limit-request-fields can be at most 32768")]
    [InlineData("--keep-alive", "soon", "--keep-alive takes a whole number, not 'soon'")]
    [InlineData("--max-connections-per-client", "x", "--max-connections-per-client takes a whole number, not 'x'")]
    public async Task AnImpossibleLimitIsAUsageErrorNamingTheFlag(string flag, string value, string message)
    {
        await using var process = TestProcess.Start(["serve", "--python", Repository.Python, flag, value]);

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains(message, process.StandardError);
        Assert.DoesNotContain("   at ", process.Output);
    }

    private static string[] Fields(int count) => Enumerable.Range(1, count).Select(i => $"X-Field-{i}: {i}").ToArray();

    /// <summary>A connection that has been served once and stays open (keep-alive): the server surely counts it.</summary>
    private static async Task<RawHttpConnection> KeptOpenAsync(PyHostServer server, IPAddress? from)
    {
        var connection = from is null ? await server.ConnectAsync() : await server.ConnectFromAsync(from);
        await connection.SendAsync(server.Request("GET", "/echo"));
        (await connection.ReadResponseAsync()).AssertStatus(200);
        return connection;
    }

    private async Task<PyHostServer> StartAsync(params string[] options)
    {
        var server = await PyHostServer.StartAsync("pep3333:app", ["--chdir", Repository.AppsDirectory, "-w", "1", .. options]);
        output.WriteLine(server.Process.CommandLine);
        return server;
    }
}
