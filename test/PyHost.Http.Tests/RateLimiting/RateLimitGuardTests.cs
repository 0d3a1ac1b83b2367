using System.Net;
using Microsoft.AspNetCore.Http;
using PyHost.Configuration.Model;
using PyHost.Http.Forwarding;
using PyHost.Http.RateLimiting;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.RateLimiting;

/// <summary>Rate and concurrency limits on a real Kestrel front.</summary>
public sealed class RateLimitGuardTests
{
    private static async Task<(TestKestrel Front, HttpClient Client, ListLoggerFactory Logs)> FrontAsync(RateLimitConfig config, TrustedProxies? trusted = null,
        Func<HttpContext, Task>? app = null)
    {
        var logs = new ListLoggerFactory();
        var guard = new RateLimitGuard(config, logs.CreateLogger("access"));
        TestKestrel front = await TestKestrel.StartAsync(async context =>
        {
            RequestOriginFeature.Attach(context, trusted ?? TrustedProxies.None, PyHost.Configuration.Model.ForwardedHeaderStyle.XForwarded);
            if (await guard.AdmitAsync(context))
            {
                await (app ?? (c => c.Response.WriteAsync("ok")))(context);
            }
        });
        return (front, new HttpClient { BaseAddress = new Uri(front.Url) }, logs);
    }

    private static async Task<string> StatusesAsync(HttpClient client, int count, Action<HttpRequestMessage>? setup = null)
    {
        var statuses = new List<int>();
        for (int i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            setup?.Invoke(request);
            using HttpResponseMessage response = await client.SendAsync(request);
            statuses.Add((int)response.StatusCode);
        }
        return string.Join(" ", statuses);
    }

    [Fact]
    public async Task OverTheRateAndBurstARequestGets429WithRetryAfterAndAPage()
    {
        var (front, client, logs) = await FrontAsync(new RateLimitConfig { Rate = new RequestRate(1, TimeSpan.FromMinutes(1)), Burst = 2, NoDelay = true });
        await using (front)
        {
            Assert.Equal("200 200 200 429 429", await StatusesAsync(client, 5));
            using HttpResponseMessage refused = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 59, 60);
            Assert.Contains("<h1>429 Too Many Requests</h1>", await refused.Content.ReadAsStringAsync());
            Assert.Contains(logs.Lines, line => line.Contains("with 429 over rate 1r/m, burst 2, the last for client 127.0.0.1", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task BehindATrustedProxyEachForwardedClientHasItsOwnBucket()
    {
        var (front, client, _) = await FrontAsync(new RateLimitConfig { Rate = new RequestRate(1, TimeSpan.FromMinutes(1)), NoDelay = true }, TrustedProxies.Loopback);
        await using (front)
        {
            Assert.Equal("200 429", await StatusesAsync(client, 2, request => request.Headers.Add("X-Forwarded-For", "198.51.100.1")));
            Assert.Equal("200 429", await StatusesAsync(client, 2, request => request.Headers.Add("X-Forwarded-For", "198.51.100.2")));
        }
    }

    [Fact]
    public async Task AHeaderKeyCountsPerValueAndARequestWithoutItIsNotLimited()
    {
        var (front, client, _) = await FrontAsync(new RateLimitConfig
        {
            Rate = new RequestRate(1, TimeSpan.FromMinutes(1)), NoDelay = true, Key = new RateLimitKey(RateLimitKeyKind.Header, "X-Api-Key"),
        });
        await using (front)
        {
            Assert.Equal("200 429", await StatusesAsync(client, 2, request => request.Headers.Add("X-Api-Key", "one")));
            Assert.Equal("200 429", await StatusesAsync(client, 2, request => request.Headers.Add("X-Api-Key", "two")));
            Assert.Equal("200 200 200", await StatusesAsync(client, 3));
        }
    }

    [Fact]
    public async Task ACookieKeyCountsPerCookieValue()
    {
        var (front, client, _) = await FrontAsync(new RateLimitConfig
        {
            Rate = new RequestRate(1, TimeSpan.FromMinutes(1)), NoDelay = true, Key = new RateLimitKey(RateLimitKeyKind.Cookie, "session"),
        });
        await using (front)
        {
            Assert.Equal("200 429", await StatusesAsync(client, 2, request => request.Headers.Add("Cookie", "session=abc; other=1")));
            Assert.Equal("200", await StatusesAsync(client, 1, request => request.Headers.Add("Cookie", "session=def")));
        }
    }

    [Fact]
    public async Task MaxConcurrentRefusesARequestWhileTheClientHasThatManyInProgressAndFreesTheSlotAfter()
    {
        var release = new TaskCompletionSource();
        var (front, client, _) = await FrontAsync(new RateLimitConfig { MaxConcurrent = 2 }, app: async context =>
        {
            if (context.Request.Path == "/slow")
            {
                await release.Task;
            }
            await context.Response.WriteAsync("ok");
        });
        await using (front)
        {
            Task<HttpResponseMessage> first = client.GetAsync("/slow");
            Task<HttpResponseMessage> second = client.GetAsync("/slow");
            await Task.Delay(300);
            using HttpResponseMessage third = await client.GetAsync("/fast");
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal("1", third.Headers.RetryAfter!.ToString());
            release.SetResult();
            Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
            await Eventually.TrueAsync(() => client.GetAsync("/fast").Result.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void ConcurrencySlotsAreForgottenOnceReleased()
    {
        using var limiter = new ConcurrencyPerKeyLimiter(1);
        for (int i = 0; i < 10_000; i++)
        {
            using var lease = limiter.AttemptAcquire($"client-{i}");
            Assert.True(lease.IsAcquired);
            Assert.False(limiter.AttemptAcquire($"client-{i}").IsAcquired);
        }
        Assert.Equal(0, limiter.KeyCount);
    }
}
