using System.Net;
using PyHost.Http.Health;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Health;

public sealed class HealthEndpointsTests
{
    private static async Task<(TestKestrel, HttpClient)> FrontAsync(HealthEndpoints endpoints)
    {
        TestKestrel front = await TestKestrel.StartAsync(async context =>
        {
            if (HealthEndpoints.Matches(context.Request))
            {
                await endpoints.AnswerAsync(context);
                return;
            }
            context.Response.StatusCode = 404;
        });
        return (front, new HttpClient { BaseAddress = new Uri(front.Url) });
    }

    [Fact]
    public async Task ReadyWhenEveryAppHasAWorkerAndNotDraining()
    {
        AppReadiness[] apps = [new("blog", 2), new("shop", 1)];
        var drain = new DrainState(TimeSpan.FromSeconds(5));
        var (front, client) = await FrontAsync(new HealthEndpoints(() => apps, drain));
        await using (front)
        {
            using HttpResponseMessage ready = await client.GetAsync(HealthEndpoints.ReadyPath);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready\napp 'blog': 2 ready workers\napp 'shop': 1 ready worker\n", await ready.Content.ReadAsStringAsync());
            Assert.Equal("no-store", ready.Headers.CacheControl!.ToString());

            apps = [new("blog", 2), new("shop", 0)];
            using HttpResponseMessage noWorker = await client.GetAsync(HealthEndpoints.ReadyPath);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, noWorker.StatusCode);
            Assert.Equal("not ready\napp 'blog': 2 ready workers\napp 'shop': no ready worker\n", await noWorker.Content.ReadAsStringAsync());

            apps = [new("blog", 2), new("shop", 1)];
            Assert.True(drain.BeginDrain());
            Assert.False(drain.BeginDrain());
            using HttpResponseMessage draining = await client.GetAsync(HealthEndpoints.ReadyPath);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, draining.StatusCode);
            Assert.StartsWith("not ready\ndraining: shutting down, not taking new work\n", await draining.Content.ReadAsStringAsync());

            using HttpResponseMessage live = await client.GetAsync(HealthEndpoints.LivePath);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);   // draining is not dead: no restart
            Assert.Equal("live\n", await live.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task HeadIsAnsweredWithoutABodyAndOtherMethodsGet405()
    {
        var (front, client) = await FrontAsync(new HealthEndpoints(() => [], new DrainState(TimeSpan.Zero)));
        await using (front)
        {
            using HttpResponseMessage head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, HealthEndpoints.ReadyPath));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            using HttpResponseMessage post = await client.PostAsync(HealthEndpoints.LivePath, null);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
            Assert.Equal("GET, HEAD", string.Join(", ", post.Content.Headers.Allow));
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/_pyhost/other")).StatusCode);
        }
    }
}
