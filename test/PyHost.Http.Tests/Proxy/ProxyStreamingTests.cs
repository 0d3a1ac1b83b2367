using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PyHost.Http.Proxy;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Proxy;

/// <summary>Bodies stream through the proxy both ways, held back when the far side is slow; Upgrade passes through.</summary>
public sealed class ProxyStreamingTests
{
    [Fact]
    public async Task ASlowClientHoldsTheServerBackInsteadOfTheProxyBufferingTheResponse()
    {
        const int chunk = 64 << 10;
        const long total = 256L << 20;
        long written = 0;
        await using TestKestrel upstream = await TestKestrel.StartAsync(async context =>
        {
            byte[] block = new byte[chunk];
            context.Response.ContentLength = total;
            for (long sent = 0; sent < total; sent += chunk)
            {
                await context.Response.Body.WriteAsync(block, context.RequestAborted);
                Interlocked.Add(ref written, chunk);
            }
        });
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url));

        using HttpResponseMessage response = await front.Client.GetAsync("/big", HttpCompletionOption.ResponseHeadersRead);
        await using Stream body = await response.Content.ReadAsStreamAsync();
        // The client reads nothing: the server's writes must stall once the socket buffers and the proxy's pipes
        // are full, far short of the whole body.
        long stalledAt = await Eventually.SettlesAsync(() => Interlocked.Read(ref written), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.True(stalledAt < total / 4, $"the server wrote {stalledAt} bytes of {total} to a client that read none");

        long read = 0;
        byte[] buffer = new byte[chunk];
        int n;
        while ((n = await body.ReadAsync(buffer)) > 0)
        {
            read += n;
        }
        Assert.Equal(total, read);
    }

    /// <summary>
    /// The body is passed on as it comes, not gathered first (nginx's proxy_request_buffering off). HttpClient sends it
    /// in blocks of its write buffer: a first part of 64 KiB reaches the server before the client sends the rest.
    /// </summary>
    [Fact]
    public async Task TheServerSeesTheRequestBodyBeforeTheClientHasSentAllOfIt()
    {
        const int firstPart = 64 << 10;
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestKestrel upstream = await TestKestrel.StartAsync(async context =>
        {
            byte[] first = new byte[firstPart];
            await context.Request.Body.ReadExactlyAsync(first);
            firstSeen.SetResult();
            string rest = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync($"got {firstPart} bytes, then '{rest}'");
        });
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(front.Url).Port);
        NetworkStream stream = client.GetStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{firstPart:x}\r\n"), timeout.Token);
        await stream.WriteAsync(new byte[firstPart], timeout.Token);
        await stream.WriteAsync("\r\n"u8.ToArray(), timeout.Token);
        await firstSeen.Task.WaitAsync(timeout.Token);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("b\r\nsecond part\r\n0\r\n\r\n"), timeout.Token);
        string response = await ReadUntilAsync(stream, "then 'second part'", timeout.Token);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
    }

    [Fact]
    public async Task AServerThatDoesNotReadHoldsTheClientsUploadBack()
    {
        const long total = 256L << 20;
        var gate = new TaskCompletionSource();
        await using TestKestrel upstream = await TestKestrel.StartAsync(async context =>
        {
            await gate.Task;
            long received = 0;
            byte[] buffer = new byte[64 << 10];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
            await context.Response.WriteAsync($"received {received}");
        });
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(front.Url).Port);
        NetworkStream stream = client.GetStream();
        long sent = 0;
        Task upload = Task.Run(async () =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {total}\r\n\r\n"));
            byte[] block = new byte[64 << 10];
            while (Interlocked.Read(ref sent) < total)
            {
                await stream.WriteAsync(block);
                Interlocked.Add(ref sent, block.Length);
            }
        });

        long stalledAt = await Eventually.SettlesAsync(() => Interlocked.Read(ref sent), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.True(stalledAt < total / 4, $"the client got {stalledAt} bytes of {total} off its hands while the server read none");
        gate.SetResult();
        await upload.WaitAsync(TimeSpan.FromSeconds(60));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Contains($"received {total}", await ReadUntilAsync(stream, $"received {total}", timeout.Token));
    }

    private static async Task<string> ReadUntilAsync(NetworkStream stream, string marker, CancellationToken cancel)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (!text.ToString().Contains(marker, StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer, cancel);
            Assert.True(read > 0, $"the connection closed before '{marker}': {text}");
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return text.ToString();
    }

    [Fact]
    public async Task AWebSocketPassesThroughBothWays()
    {
        await using TestKestrel upstream = await TestKestrel.StartAsync(async context =>
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            byte[] buffer = new byte[1024];
            while (true)
            {
                WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }
                await socket.SendAsync(Encoding.UTF8.GetBytes("echo:" + Encoding.UTF8.GetString(buffer, 0, received.Count)), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        }, configure: app => app.UseWebSockets());
        // The body limit is for request bodies: a tunnel carries more than it (10 x 200 bytes against 64) uncut.
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url), maxRequestBodySize: 64);

        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(front.Url.Replace("http://", "ws://") + "/socket"), CancellationToken.None);
        byte[] reply = new byte[1024];
        foreach (string message in new[] { "one", "two" }.Concat(Enumerable.Range(0, 10).Select(n => new string((char)('a' + n), 200))))
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
            WebSocketReceiveResult result = await client.ReceiveAsync(reply, CancellationToken.None);
            Assert.Equal("echo:" + message, Encoding.UTF8.GetString(reply, 0, result.Count));
        }
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task MaxConnectionsKeepsTheServerAtThatManyRequestsAtOnceAndTheRestWait()
    {
        int running = 0;
        int most = 0;
        var release = new TaskCompletionSource();
        await using TestKestrel upstream = await TestKestrel.StartAsync(async context =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            await release.Task;
            Interlocked.Decrement(ref running);
            await context.Response.WriteAsync("done");
        });
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url) with { MaxConnections = 2 });
        UpstreamServer server = front.Upstream.Servers[0];
        Assert.NotNull(server.Http1Pool);   // GETs take the own client; bodies over 64 KiB stream through YARP

        // A request that gives up while it waits for a slot leaves none taken.
        using (var impatient = new CancellationTokenSource())
        {
            Task<HttpResponseMessage>[] first = [front.Client.GetAsync("/"), front.Client.GetAsync("/")];
            await Eventually.TrueAsync(() => Volatile.Read(ref running) == 2, TimeSpan.FromSeconds(20));
            Task<HttpResponseMessage> waiting = front.Client.GetAsync("/", impatient.Token);
            await Task.Delay(200);
            impatient.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
            // The proxy sees the client leave (and stops waiting for a slot) before the slots are freed: were it still
            // waiting then, it would take one and send a request for a client that is gone.
            await Eventually.TrueAsync(() => server.InFlight == 2, TimeSpan.FromSeconds(10));
            release.SetResult();
            Assert.All(await Task.WhenAll(first), response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
            await Eventually.TrueAsync(() => server.RequestSlots!.CurrentCount == 2, TimeSpan.FromSeconds(10));
        }

        release = new TaskCompletionSource();
        Interlocked.Exchange(ref most, 0);
        HttpContent Large() => new ByteArrayContent(new byte[100_000]);
        Task<HttpResponseMessage>[] requests =
        [
            front.Client.GetAsync("/"), front.Client.PostAsync("/", Large()), front.Client.GetAsync("/"), front.Client.PostAsync("/", Large()),
            front.Client.GetAsync("/"),
        ];
        await Eventually.TrueAsync(() => Volatile.Read(ref running) == 2, TimeSpan.FromSeconds(20));
        await Task.Delay(300);   // time for a third to arrive, were it let through
        Assert.Equal(2, Volatile.Read(ref most));
        release.SetResult();
        HttpResponseMessage[] responses = await Task.WhenAll(requests);

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(2, most);
        Assert.Equal(2, server.RequestSlots!.CurrentCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
