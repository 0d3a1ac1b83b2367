using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// How much a PyHost balancer lets through at once: a server's max_connections holds the requests beyond it at the
/// balancer until one ends, whichever client sends them (the own HTTP/1.1 one, or YARP for a large body); and a
/// large response to a client that reads slowly is held back at the server, not gathered in the balancer's memory.
/// </summary>
public sealed class ProxyFlowControlTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MaxConnectionsKeepsTheServerAtThatManyRequestsAtOnceAndTheRestWait()
    {
        int running = 0, most = 0;
        var releases = new SemaphoreSlim(0);
        await using TestBackend backend = TestBackend.Start(async (request, stream, cancel) =>
        {
            int now = Interlocked.Increment(ref running);
            for (int seen = Volatile.Read(ref most); now > seen && Interlocked.CompareExchange(ref most, now, seen) != seen; seen = Volatile.Read(ref most))
            {
            }
            await releases.WaitAsync(cancel);
            Interlocked.Decrement(ref running);
            await TestBackend.WriteAsync(stream, 200, $"{request.Method} of {request.Body.Length} bytes", cancel);
        });
        await using var front = await ConfiguredServer.StartAsync(output,
            Balancer.Toml($"{{ address = \"{backend.Url}\", max_connections = 2 }}"), 1, "--pid", "site.pid");
        using var admin = new AdminSocket(Path.Combine(front.Directory, "site.control.sock"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{front.Ports[0]}"), Timeout = TimeSpan.FromSeconds(120) };

        // GETs go by the own HTTP/1.1 client; a body over 64 KiB streams through YARP: the limit counts both.
        Task<HttpResponseMessage>[] requests =
        [
            client.GetAsync("/1"), client.PostAsync("/2", new ByteArrayContent(new byte[100_000])), client.GetAsync("/3"),
            client.PostAsync("/4", new ByteArrayContent(new byte[100_000])), client.GetAsync("/5"), client.GetAsync("/6"),
        ];
        // All six at the balancer, two of them at the server.
        int inFlight = 0;
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            inFlight = InFlight(await admin.StatusAsync());
            return inFlight == 6 && Volatile.Read(ref running) == 2;
        }, TimeSpan.FromSeconds(30)), $"{inFlight} requests in flight at the balancer, {Volatile.Read(ref running)} at the server");
        Assert.False(await Eventually.HoldsAsync(() => Volatile.Read(ref running) > 2, TimeSpan.FromSeconds(1)),
            $"{Volatile.Read(ref running)} requests at the server at once");

        // Each one that ends lets one waiting request through, never more.
        for (int arrived = 2; arrived < 6; arrived++)
        {
            releases.Release();
            Assert.True(await Eventually.HoldsAsync(() => backend.Requests == arrived + 1, TimeSpan.FromSeconds(30)),
                $"{backend.Requests} requests reached the server after {arrived - 1} ended");
        }
        releases.Release(2);
        HttpResponseMessage[] responses = await Task.WhenAll(requests);

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal("POST of 100000 bytes", await responses[1].Content.ReadAsStringAsync());
        Assert.Equal(2, Volatile.Read(ref most));
        Assert.True(await Eventually.HoldsAsync(async () => InFlight(await admin.StatusAsync()) == 0, TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("GET")]    // the own HTTP/1.1 client
    [InlineData("POST")]   // a body over 64 KiB: YARP
    public async Task ALargeResponseToASlowClientIsHeldBackAtTheServerNotBufferedInTheBalancer(string method)
    {
        const int block = 64 << 10;
        const long total = 256L << 20;
        long written = 0;
        await using TestBackend backend = TestBackend.Start(async (_, stream, cancel) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {total}\r\n\r\n"), cancel);
            for (long sent = 0; sent < total; sent += block)
            {
                await stream.WriteAsync(Body(sent, block), cancel);
                Interlocked.Add(ref written, block);
            }
        });
        await using var front = await ConfiguredServer.StartAsync(output, Balancer.Toml($"\"{backend.Url}\""));
        long rssBefore = Rss(front);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, front.Ports[0]);
        string body = method == "POST" ? new string('x', 100_000) : "";
        await client.SendAsync(Encoding.ASCII.GetBytes($"{method} /big HTTP/1.1\r\nHost: site.test\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));

        // The client reads nothing: the server's writes stop once the socket buffers and the balancer's are full.
        long stalledAt = await SettledAsync(() => Interlocked.Read(ref written));
        long rssStalled = Rss(front);
        output.WriteLine($"{method}: the server stopped after {stalledAt >> 20} MiB of {total >> 20}; balancer RSS {rssBefore >> 10} → {rssStalled >> 10} MiB");
        Assert.True(stalledAt < total / 4, $"the server wrote {stalledAt} bytes of {total} to a client that read none");
        Assert.True(rssStalled - rssBefore < 64 << 10, $"the balancer's RSS grew from {rssBefore} to {rssStalled} kB");

        // Then it reads slowly (4 MiB, a pause, ...): every byte arrives, in order, and the balancer's memory stays bounded.
        byte[] buffer = new byte[block];
        var head = new StringBuilder();
        int headLength = 0;
        long received = 0, rssMost = rssStalled, sincePause = 0;
        int read;
        while ((read = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
        {
            int offset = 0;
            if (headLength == 0)
            {
                head.Append(Encoding.Latin1.GetString(buffer, 0, read));
                headLength = head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
                if (headLength == 3)
                {
                    headLength = 0;
                    continue;
                }
                Assert.StartsWith("HTTP/1.1 200 OK\r\n", head.ToString());
                offset = read - (head.Length - headLength);
            }
            int length = read - offset;
            Assert.True(buffer.AsSpan(offset, length).SequenceEqual(Body(received, length).Span), $"the bytes from {received} on are not the server's");
            received += length;
            if ((sincePause += length) >= 4 << 20)
            {
                sincePause = 0;
                rssMost = Math.Max(rssMost, Rss(front));
                await Task.Delay(20);   // the slow client's pause
            }
        }
        output.WriteLine($"{method}: {received} bytes received; the balancer's RSS at most {rssMost >> 10} MiB");
        Assert.Equal(total, received);
        Assert.True(rssMost - rssBefore < 64 << 10, $"the balancer's RSS grew from {rssBefore} to {rssMost} kB");
    }

    /// <summary>The server's bytes from <paramref name="position"/> on: a pattern of period 251, which shows a lost or
    /// repeated block.</summary>
    private static ReadOnlyMemory<byte> Body(long position, int length) => Cycle.AsMemory((int)(position % 251), length);

    private static readonly byte[] Cycle = Enumerable.Range(0, (64 << 10) + 251).Select(i => (byte)(i % 251)).ToArray();

    /// <summary>The value once it stopped changing for a second (polled every 250 ms, for at most 60 s).</summary>
    private static async Task<long> SettledAsync(Func<long> value)
    {
        long last = value();
        DateTime since = DateTime.UtcNow, deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            long now = value();
            if (now != last)
            {
                (last, since) = (now, DateTime.UtcNow);
            }
            else if (DateTime.UtcNow - since >= TimeSpan.FromSeconds(1))
            {
                return now;
            }
        }
        return value();
    }

    private static long Rss(ConfiguredServer server) => Posix.StatusKilobytes(server.Process.Id, "VmRSS") ?? throw new InvalidOperationException("the balancer is gone");

    private static int InFlight(JsonElement status) => status.GetProperty("upstreams")[0].GetProperty("servers")[0].GetProperty("in_flight").GetInt32();
}
