using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// What a PyHost balancer does when its servers fail: a server that takes no connection within connect_timeout is
/// 504, one that answers too late 504, one nobody listens on 502, each with the site's own error page; a server
/// answering 503 is marked down after max_fails such answers in a row, and then left out, as the log and the admin
/// status say.
/// </summary>
public sealed class ProxyFailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ConnectAndResponseTimeoutsAre504AndARefusedConnection502WithTheSitesOwnPages()
    {
        // A listening socket whose accept queue is full and that never accepts: the kernel drops further SYNs, so a
        // connection to it is neither made nor refused (all on loopback: nothing leaves the machine).
        using var blackhole = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blackhole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blackhole.Listen(0);
        int blackholePort = ((IPEndPoint)blackhole.LocalEndPoint!).Port;
        var fillers = Enumerable.Range(0, 3).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToList();
        try
        {
            Task[] connecting = fillers.Select(filler => filler.ConnectAsync(IPAddress.Loopback, blackholePort)).ToArray();
            await Task.WhenAny(connecting).WaitAsync(TimeSpan.FromSeconds(10));   // one in the queue: it is full
            int refusingPort = PyHostServer.FreePort(IPAddress.Loopback);
            await using TestBackend silent = TestBackend.Start((_, _, cancel) => Task.Delay(Timeout.Infinite, cancel));
            using var pages = new TemporaryDirectory();
            string page502 = pages.Write("502.html", "<h1>our own 502 page</h1>\n");
            string page504 = pages.Write("504.html", "<h1>our own 504 page</h1>\n");
            await using var front = await ConfiguredServer.StartAsync(output, $$"""
                [[listen]]
                address = "127.0.0.1:{port0}"

                [upstream.blackhole]
                servers = ["http://127.0.0.1:{{blackholePort}}"]
                connect_timeout = "500ms"

                [upstream.silent]
                servers = ["{{silent.Url}}"]
                response_timeout = "500ms"

                [upstream.refusing]
                servers = ["http://127.0.0.1:{{refusingPort}}"]

                [[site]]
                error_pages = { 502 = "{{page502}}", 504 = "{{page504}}" }

                  [[site.route]]
                  path = "/blackhole"
                  proxy = "blackhole"

                  [[site.route]]
                  path = "/silent"
                  proxy = "silent"

                  [[site.route]]
                  path = "/refusing"
                  proxy = "refusing"
                """);

            var clock = Stopwatch.StartNew();
            RawHttpResponse connectTimeout = await front.RequestAsync("site.test", "/blackhole/page");
            TimeSpan waited = clock.Elapsed;
            connectTimeout.AssertStatus(504);
            Assert.Equal("<h1>our own 504 page</h1>\n", connectTimeout.BodyText);
            Assert.True(waited >= TimeSpan.FromMilliseconds(400), $"504 after {waited.TotalMilliseconds} ms: not a timeout");
            Assert.Contains($"GET /blackhole/page: upstream blackhole server http://127.0.0.1:{blackholePort}: no connection to http://127.0.0.1:{blackholePort} within 0.5 s; the client got 504",
                front.Process.Output);

            RawHttpResponse responseTimeout = (await front.RequestAsync("site.test", "/silent/page")).AssertStatus(504);
            Assert.Equal("<h1>our own 504 page</h1>\n", responseTimeout.BodyText);
            Assert.Equal(1, silent.Requests);

            RawHttpResponse refused = (await front.RequestAsync("site.test", "/refusing/page")).AssertStatus(502);
            Assert.Equal("<h1>our own 502 page</h1>\n", refused.BodyText);
            Assert.Contains($"GET /refusing/page: upstream refusing server http://127.0.0.1:{refusingPort}: connection refused; the client got 502",
                front.Process.Output);
        }
        finally
        {
            fillers.ForEach(filler => filler.Dispose());
        }
    }

    [Fact]
    public async Task AServerAnswering503IsMarkedDownAfterMaxFailsAndLeftOut()
    {
        await using TestBackend failing = TestBackend.Answering(503, "overloaded");
        await using TestBackend working = TestBackend.Answering(200, "working");
        await using var front = await ConfiguredServer.StartAsync(output,
            Balancer.Toml($"\"{failing.Url}\", \"{working.Url}\"", "max_fails = 3\nfail_timeout = \"5m\""), 1, "--pid", "site.pid");
        using var admin = new AdminSocket(Path.Combine(front.Directory, "site.control.sock"));

        // Round robin: the failing server answers every other request, its 503 passed on, until its third in a row.
        var statuses = new List<int>();
        for (int i = 0; i < 16; i++)
        {
            statuses.Add((await front.RequestAsync("site.test", "/")).StatusCode);
        }

        output.WriteLine(string.Join(" ", statuses));
        Assert.Equal(3, failing.Requests);
        Assert.Equal(13, working.Requests);
        Assert.Equal(3, statuses.Count(status => status == 503));
        Assert.All(statuses.Skip(6), status => Assert.Equal(200, status));
        Assert.Contains($"Upstream back: server {failing.Url} is down after 3 failed requests in a row; left out for 300 s: answered 503", front.Process.Output);
        JsonElement down = Server(await admin.StatusAsync(), failing.Url);
        Assert.False(down.GetProperty("healthy").GetBoolean(), down.ToString());
        Assert.Equal("answered 503", down.GetProperty("reason").GetString());
        JsonElement up = Server(await admin.StatusAsync(), working.Url);
        Assert.True(up.GetProperty("healthy").GetBoolean(), up.ToString());
    }

    private static JsonElement Server(JsonElement status, string address) =>
        status.GetProperty("upstreams")[0].GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("address").GetString() == address);
}
