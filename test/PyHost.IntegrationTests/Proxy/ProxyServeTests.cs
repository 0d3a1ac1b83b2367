using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// `pyhost serve` with proxy routes in its pyhost.toml, in front of other real pyhost processes serving apps/pep3333.py:
/// balancing over an upstream's servers, the client named to them, strip_prefix, a dead server retried around and
/// answered with the 502 page, and a backend that drains on SIGTERM leaving the balancer without one failed request.
/// </summary>
[Collection(LoadTestCollection.Name)]   // their "no request failed" runs want the CPU to themselves
public sealed class ProxyServeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnUpstreamsServersTakeTurnsAndSeeWhoAsked()
    {
        ConfiguredServer[] backends = await Task.WhenAll(Pep3333Server.StartBackendAsync(output), Pep3333Server.StartBackendAsync(output));
        await using ConfiguredServer one = backends[0], two = backends[1];
        await using var front = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [upstream.back]
            servers = ["http://127.0.0.1:{{one.Ports[0]}}", "127.0.0.1:{{two.Ports[0]}}"]

            [[site]]
              [[site.route]]
              path = "/api"
              proxy = "back"
              strip_prefix = true

              [[site.route]]
              proxy = "back"
            """);

        var pids = new List<int>();
        for (int i = 0; i < 4; i++)
        {
            RawHttpResponse echo = (await EchoAsync(front, "/echo?n=" + i)).AssertStatus(200);
            pids.Add(echo.Json().GetProperty("pid").GetInt32());
            IReadOnlyDictionary<string, JsonElement> environ = echo.Environ();
            Assert.Equal("/echo", environ["PATH_INFO"].GetString());
            Assert.Equal("n=" + i, environ["QUERY_STRING"].GetString());
            // The front's client is loopback, which forwarded_allow_ips trusts by default: its chain is extended; the
            // backend believes the front in turn, so the app sees the first client and the host it asked for.
            Assert.Equal("203.0.113.9, 127.0.0.1", environ["HTTP_X_FORWARDED_FOR"].GetString());
            Assert.Equal("203.0.113.9", environ["REMOTE_ADDR"].GetString());
            Assert.Equal("site.test", environ["HTTP_X_FORWARDED_HOST"].GetString());
            Assert.Equal("http", environ["HTTP_X_FORWARDED_PROTO"].GetString());
        }
        // Round robin: each backend's worker every other time.
        Assert.Equal(2, pids.Distinct().Count());
        Assert.True(pids[0] == pids[2] && pids[1] == pids[3] && pids[0] != pids[1], string.Join(" ", pids));

        // strip_prefix: /api/echo arrives as /echo, its query untouched.
        IReadOnlyDictionary<string, JsonElement> stripped = (await EchoAsync(front, "/api/echo?x=%2F")).Environ();
        Assert.Equal("/echo", stripped["PATH_INFO"].GetString());
        Assert.Equal("x=%2F", stripped["QUERY_STRING"].GetString());
    }

    [Fact]
    public async Task ADeadServerIsRetriedAroundAndTakenOutAndAlone_ItIsA502Page()
    {
        await using var backend = await Pep3333Server.StartBackendAsync(output);
        int closed = PyHostServer.FreePort(System.Net.IPAddress.Loopback);
        await using var front = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [upstream.back]
            servers = ["http://127.0.0.1:{{closed}}", "http://127.0.0.1:{{backend.Ports[0]}}"]
            max_fails = 1
            fail_timeout = "1m"

            [[site]]
              [[site.route]]
              path = "/gone"
              proxy = "http://127.0.0.1:{{closed}}"

              [[site.route]]
              proxy = "back"
            """);

        for (int i = 0; i < 4; i++)
        {
            (await EchoAsync(front, "/echo")).AssertStatus(200);
        }
        // One refused connection took the dead server out (max_fails = 1), retried on the live one; then it was left out.
        Assert.Single(Regex.Matches(front.Process.Output, Regex.Escape($"upstream back server http://127.0.0.1:{closed}: connection refused; retrying on http://127.0.0.1:{backend.Ports[0]}")));
        Assert.Contains($"Upstream back: server http://127.0.0.1:{closed} is down after", front.Process.Output);

        RawHttpResponse gone = await front.RequestAsync("site.test", "/gone/page");
        gone.AssertStatus(502);
        Assert.Contains("502 Bad Gateway", gone.BodyText);
        Assert.Contains($"GET /gone/page: upstream http://127.0.0.1:{closed} server http://127.0.0.1:{closed}: connection refused; the client got 502", front.Process.Output);
    }

    [Fact]
    public async Task RequestBodiesOfEverySizeAndFramingArriveWhole()
    {
        await using var backend = await Pep3333Server.StartBackendAsync(output);
        await using var front = await ProxyToAsync(backend, "");

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{front.Ports[0]}") };
        // Read ahead and sent with the head by the own client (up to 64 KiB), then streamed through YARP.
        foreach (int size in new[] { 1, 10_000, 64 * 1024, 64 * 1024 + 1, 300_000 })
        {
            byte[] body = new byte[size];
            new Random(size).NextBytes(body);
            foreach (bool chunked in new[] { false, true })
            {
                HttpContent content = chunked ? new StreamContent(new NonSeekableStream(body)) : new ByteArrayContent(body);
                using HttpResponseMessage response = await client.PostAsync("/echo-body", content);
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
                byte[] echoed = await response.Content.ReadAsByteArrayAsync();
                Assert.True(body.SequenceEqual(echoed), $"{size} bytes, chunked: {chunked}: {echoed.Length} came back");
            }
        }
    }

    [Fact]
    public async Task ABodyOverTheRoutesMaxBodySizeIs413()
    {
        await using var backend = await Pep3333Server.StartBackendAsync(output);
        await using var front = await ProxyToAsync(backend, "max_body_size = \"1KiB\"");

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{front.Ports[0]}") };
        using HttpResponseMessage within = await client.PostAsync("/echo-body", new ByteArrayContent(new byte[1024]));
        Assert.Equal(1024, (await within.Content.ReadAsByteArrayAsync()).Length);
        using HttpResponseMessage over = await client.PostAsync("/echo-body", new ByteArrayContent(new byte[1025]));
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Contains("413", await over.Content.ReadAsStringAsync());
    }

    /// <summary>A balancer whose one route proxies to <paramref name="backend"/>, with the route's other keys.</summary>
    private Task<ConfiguredServer> ProxyToAsync(ConfiguredServer backend, string routeKeys) => ConfiguredServer.StartAsync(output, $$"""
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[site]]
          [[site.route]]
          proxy = "http://127.0.0.1:{{backend.Ports[0]}}"
          {{routeKeys}}
        """);

    /// <summary>A body of unknown length, which HttpClient sends chunked.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task ABackendStoppedWithSigtermDrainsAndTheBalancerFailsNoRequest()
    {
        // Two backends that, on SIGTERM, answer /_pyhost/ready with 503 for 3 s while still serving, then stop.
        ConfiguredServer[] backends = await Task.WhenAll(
            Pep3333Server.StartBackendAsync(output, server: "drain_delay = \"3s\""), Pep3333Server.StartBackendAsync(output, server: "drain_delay = \"3s\""));
        await using ConfiguredServer one = backends[0], two = backends[1];
        await using var front = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [upstream.back]
            servers = ["http://127.0.0.1:{{one.Ports[0]}}", "http://127.0.0.1:{{two.Ports[0]}}"]
            health_check = { path = "/_pyhost/ready", interval = "300ms", timeout = "250ms", healthy_threshold = 1, unhealthy_threshold = 1 }

            [[site]]
              [[site.route]]
              proxy = "back"
            """);
        string oneUrl = $"http://127.0.0.1:{one.Ports[0]}";

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{front.Ports[0]}") };
        var load = Task.Run(() => ClientLoad.RunAsync(client, "/echo", TimeSpan.FromSeconds(8)));
        await Task.Delay(1500);
        one.Process.Terminate();
        var (served, failed) = await load;

        Assert.True(failed.Count == 0, $"{failed.Count} failed of {served + failed.Count}: {string.Join("; ", failed.Take(10))}");
        Assert.True(served > 20, $"only {served} requests were served");
        Assert.Equal(0, await one.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Draining: /_pyhost/ready answers 503 while requests are still served for 3 s (drain_delay)", one.Process.Output);
        Assert.Contains($"Upstream back: server {oneUrl} is down after 1 failed health check: health check /_pyhost/ready answered 503", front.Process.Output);
        output.WriteLine($"{served} requests through the PyHost balancer while one backend drained and stopped, none failed");
    }

    private static async Task<RawHttpResponse> EchoAsync(ConfiguredServer front, string target)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, front.Ports[0]));
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: site.test\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
    }
}
