using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>WebSockets as PyHost runs them: an open socket costs no worker slot, the front pings it and cuts it when its
/// pongs stop, a reload drains them with 1012, a stop closes them with 1001, and the front negotiates compression and
/// HTTP/2.</summary>
public sealed class AsgiWebSocketTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OpenWebSocketsHoldNoRequestSlotSoHttpRequestsStillRun()
    {
        // Two request slots, six open sockets: were a socket a slot, every HTTP request would wait behind them.
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--worker-connections", "2", "-t", "5"]);
        await using RunningWebSocketClient sockets = RunningWebSocketClient.Start("idle", site.WebSocketUrl("/ws"), "6", "0");
        JsonElement opened = await sockets.ReadLineAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(6, opened.GetProperty("open").GetInt32());

        RawHttpResponse[] answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => site.Server.GetAsync("/slow?0.3")));

        Assert.All(answers, answer => answer.AssertStatus(200));
        await sockets.ContinueAsync();
        JsonElement done = await sockets.ReadLineAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(6, done.GetProperty("alive").GetInt32());
    }

    [Fact]
    public async Task AClientThatAnswersTheFrontsPingsStaysOpenLongPastThePingTimeout()
    {
        // A ping each second with 3 s for its pong: a socket that did not answer would be closed after about 4 s.
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--ws-ping-interval", "1", "--ws-ping-timeout", "3"]);

        JsonElement result = await WebSocketClient.RunAsync("pings", site.WebSocketUrl("/ws"), "all", "9");

        Assert.False(result.GetProperty("closed").GetBoolean(), $"the front closed a socket that answered its pings: {result}");
        Assert.InRange(result.GetProperty("pings").GetInt32(), 3, 100);
        Assert.Equal("still there?", result.GetProperty("echo").GetString());
    }

    [Fact]
    public async Task AClientThatStopsAnsweringPingsIsCutAndTheAppGetsWebsocketDisconnect()
    {
        // It answers two pings, then no more: within the timeout of the next unanswered ping the front cuts it (RFC
        // 6455 §7.1.5: closed abnormally, 1006 to the app).
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--ws-ping-interval", "1", "--ws-ping-timeout", "2"]);

        JsonElement result = await WebSocketClient.RunAsync("pings", site.WebSocketUrl("/ws"), "2", "30");

        Assert.True(result.GetProperty("closed").GetBoolean(), $"a socket that stopped answering pings is still open: {result}");
        Assert.InRange(result.GetProperty("pings").GetInt32(), 3, 100);
        Assert.True(await Eventually.HoldsAsync(async () => (await site.GetJsonAsync("/seen")).GetArrayLength() > 0, TimeSpan.FromSeconds(10)),
            "the app never got websocket.disconnect");
        JsonElement seen = Assert.Single((await site.GetJsonAsync("/seen")).EnumerateArray());
        Assert.Equal(1006, seen.GetProperty("disconnect").GetInt32());
    }

    [Fact]
    public async Task TheFrontNegotiatesPermessageDeflate()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);

        JsonElement echo = await WebSocketClient.RunAsync("echo", site.WebSocketUrl("/ws"));

        Assert.StartsWith("permessage-deflate", echo.GetProperty("extensions").GetString());
    }

    [Fact]
    public async Task AReloadDrainsOpenWebSocketsWith1012AfterTheGracefulTimeoutAndNewOnesReachTheNewCode()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--graceful-timeout", "2"]);
        await using RunningWebSocketClient held = RunningWebSocketClient.Start("hold", site.WebSocketUrl("/ws/greet"), "30");
        JsonElement opened = await held.ReadLineAsync(TimeSpan.FromSeconds(20));
        Assert.StartsWith("generation 1", opened.GetProperty("greeting").GetString());
        int mark = site.Process.LineCount;

        site.WriteGeneration("2");
        Posix.SendSignal(site.Process.Id, Supervision.Signals.SigHup);
        JsonElement closed = await held.ReadLineAsync(TimeSpan.FromSeconds(30));

        Assert.True(closed.GetProperty("closed").GetBoolean());
        Assert.Equal(1012, closed.GetProperty("code").GetInt32());
        Assert.InRange(closed.GetProperty("seconds").GetDouble(), 1.5, 20);   // not before the graceful time
        await site.Process.WaitForOutputAsync(new Regex(@"closed 1 open WebSockets with 1012"), TimeSpan.FromSeconds(5), mark);
        JsonElement fresh = await WebSocketClient.RunAsync("greeting", site.WebSocketUrl("/ws/greet"));
        Assert.StartsWith("generation 2", fresh.GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task StoppingTheServerClosesOpenWebSocketsWith1001AtOnce()
    {
        AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--graceful-timeout", "30"]);
        await using (site)
        {
            await using RunningWebSocketClient held = RunningWebSocketClient.Start("hold", site.WebSocketUrl("/ws/greet"), "40");
            await held.ReadLineAsync(TimeSpan.FromSeconds(20));

            site.Process.Terminate();
            JsonElement closed = await held.ReadLineAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(1001, closed.GetProperty("code").GetInt32());
            Assert.Equal(0, await site.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
    }

    [Fact]
    public async Task AWebSocketOverHttp2ExtendedConnectEchoes()
    {
        // RFC 8441, which Kestrel offers on HTTP/2; .NET's client speaks it over cleartext HTTP/2 with prior knowledge.
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(new Uri(site.WebSocketUrl("/ws/greet")), invoker, timeout.Token);
        string greeting = await ReceiveTextAsync(socket, timeout.Token);
        await socket.SendAsync("over h2"u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
        string echoed = await ReceiveTextAsync(socket, timeout.Token);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, socket.HttpStatusCode);
        Assert.StartsWith("generation 1", greeting);
        Assert.Equal("over h2", echoed);
    }

    [Fact]
    public async Task TenThousandIdleWebSocketsHoldOnOneWorkerWithTheFrontsAndWorkersMemoryMeasured()
    {
        const int count = 10_000;
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);
        int worker = Assert.Single(site.Workers);
        long frontBefore = Posix.StatusKilobytes(site.Process.Id, "VmRSS") ?? 0;
        long workerBefore = Posix.StatusKilobytes(worker, "VmRSS") ?? 0;
        await using RunningWebSocketClient sockets = RunningWebSocketClient.Start("idle", site.WebSocketUrl("/ws"), count.ToString(), "5");

        JsonElement opened = await sockets.ReadLineAsync(TimeSpan.FromMinutes(4));
        Assert.Equal(count, opened.GetProperty("open").GetInt32());
        await Task.Delay(TimeSpan.FromSeconds(2));
        long frontOpen = Posix.StatusKilobytes(site.Process.Id, "VmRSS") ?? 0;
        long workerOpen = Posix.StatusKilobytes(worker, "VmRSS") ?? 0;
        await sockets.ContinueAsync();
        JsonElement done = await sockets.ReadLineAsync(TimeSpan.FromMinutes(4));

        string report = $"{count} idle WebSockets on one worker (opened in {opened.GetProperty("seconds").GetDouble():0.0} s): "
                        + $"front RSS {frontBefore / 1024} MiB before, {frontOpen / 1024} MiB with them open "
                        + $"({(frontOpen - frontBefore) * 1024.0 / count / 1024:0.0} KiB each); "
                        + $"worker RSS {workerBefore / 1024} MiB before, {workerOpen / 1024} MiB open "
                        + $"({(workerOpen - workerBefore) * 1024.0 / count / 1024:0.0} KiB each)";
        output.WriteLine(report);
        Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts"));
        await File.WriteAllTextAsync(Path.Combine(Repository.Root, "artifacts", "asgi-idle-websockets.txt"), report + "\n");
        Assert.Equal(count, done.GetProperty("alive").GetInt32());
        Assert.Equal(worker, Assert.Single(site.Workers));
        // Generous bounds that still catch a buffer held per idle socket (64 KiB each would be 640 MiB).
        Assert.InRange(frontOpen - frontBefore, 0, 400 * 1024);
        Assert.InRange(workerOpen - workerBefore, 0, 400 * 1024);
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket, CancellationToken cancellation)
    {
        byte[] buffer = new byte[4096];
        var text = new StringBuilder();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellation);
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        while (!result.EndOfMessage);
        return text.ToString();
    }
}
