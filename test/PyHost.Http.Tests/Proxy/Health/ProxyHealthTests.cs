using System.Net;
using Microsoft.AspNetCore.Http;
using PyHost.Configuration.Model;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Proxy.Health;

/// <summary>Passive and active health checks of a proxy route's servers, against real upstream servers.</summary>
public sealed class ProxyHealthTests
{
    /// <summary>An upstream named <paramref name="name"/> whose answers (and readiness) the test switches.</summary>
    private sealed class Switchable
    {
        public volatile int Status = 200;
        public volatile int ReadyStatus = 200;
        public int Checks;

        public Task<TestKestrel> StartAsync(string name) => TestKestrel.StartAsync(async context =>
        {
            if (context.Request.Path == "/ready")
            {
                Interlocked.Increment(ref Checks);
                context.Response.StatusCode = ReadyStatus;
                return;
            }
            context.Response.StatusCode = Status;
            await context.Response.WriteAsync(name);
        });
    }

    private static async Task<string> AnswersAsync(ProxyFront front, int count)
    {
        var names = new List<string>();
        for (int i = 0; i < count; i++)
        {
            using HttpResponseMessage response = await front.Client.GetAsync("/");
            names.Add(response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : ((int)response.StatusCode).ToString());
        }
        return string.Join(" ", names);
    }

    [Fact]
    public async Task AServerAnswering503IsLeftOutAfterMaxFailsAndTheOthersTakeItsRequests()
    {
        var sick = new Switchable { Status = 503 };
        await using TestKestrel a = await sick.StartAsync("a");
        await using TestKestrel b = await new Switchable().StartAsync("b");
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(a.Url, b.Url) with { MaxFails = 2, FailTimeout = TimeSpan.FromMinutes(5) });

        Assert.Equal("503 b 503 b b b b b", await AnswersAsync(front, 8));
        Assert.Contains(front.Logs.Lines, line => line.Contains($"Upstream backend: server {a.Url} is down after 2 failed requests in a row; left out for 300 s: answered 503", StringComparison.Ordinal));
        Assert.False(front.Upstream.Status()[0].Available);
        Assert.True(front.Upstream.Status()[1].Available);
    }

    [Fact]
    public async Task AServerWhoseCheckFailsIsLeftOutUntilItPassesAgain()
    {
        var first = new Switchable();
        await using TestKestrel a = await first.StartAsync("a");
        await using TestKestrel b = await new Switchable().StartAsync("b");
        UpstreamConfig upstream = ProxyFront.UpstreamOf(a.Url, b.Url) with
        {
            HealthCheck = new HealthCheckConfig { Path = "/ready", Interval = TimeSpan.FromHours(1), HealthyThreshold = 2, UnhealthyThreshold = 2 },
        };
        await using ProxyFront front = await ProxyFront.StartAsync(upstream);
        var checker = front.Upstream.Checker!;

        Assert.Equal("a b a b", await AnswersAsync(front, 4));
        first.ReadyStatus = 503;
        await checker.CheckAllOnceAsync(CancellationToken.None);
        Assert.Equal("a b", await AnswersAsync(front, 2));
        await checker.CheckAllOnceAsync(CancellationToken.None);
        Assert.Equal("b b b b", await AnswersAsync(front, 4));
        Assert.Contains(front.Logs.Lines, line => line.EndsWith($"server {a.Url} is down after 2 failed health checks: health check /ready answered 503 Service Unavailable", StringComparison.Ordinal));

        first.ReadyStatus = 200;
        await checker.CheckAllOnceAsync(CancellationToken.None);
        Assert.Equal("b b", await AnswersAsync(front, 2));
        await checker.CheckAllOnceAsync(CancellationToken.None);
        Assert.Contains("a", await AnswersAsync(front, 4));
        Assert.Contains(front.Logs.Lines, line => line.Contains($"server {a.Url} is up again after 2 passed health checks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChecksRunOnTheirOwnEveryIntervalOnceStartedAndAServerThatStoppedIsLeftOut()
    {
        var first = new Switchable();
        TestKestrel a = await first.StartAsync("a");
        await using TestKestrel b = await new Switchable().StartAsync("b");
        UpstreamConfig upstream = ProxyFront.UpstreamOf(a.Url, b.Url) with
        {
            HealthCheck = new HealthCheckConfig { Path = "/ready", Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(500), UnhealthyThreshold = 2 },
            MaxFails = 0,
            Retries = 0,
        };
        await using ProxyFront front = await ProxyFront.StartAsync(upstream);
        front.Upstreams.Start();
        await Eventually.TrueAsync(() => Volatile.Read(ref first.Checks) >= 3, TimeSpan.FromSeconds(20), "server a checked three times");

        await a.DisposeAsync();
        await Eventually.TrueAsync(() => !front.Upstream.Status()[0].Available, TimeSpan.FromSeconds(20), "server a marked down");
        Assert.Equal("b b b b", await AnswersAsync(front, 4));
        Assert.Contains(front.Logs.Lines, line => line.Contains($"server {a.Url} is down after 2 failed health checks: health check /ready failed: connection refused", StringComparison.Ordinal));
    }
}
