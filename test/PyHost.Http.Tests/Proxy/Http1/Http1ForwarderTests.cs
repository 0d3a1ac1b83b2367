using System.Net;
using System.Net.Sockets;
using System.Text;
using PyHost.Http.Proxy;
using PyHost.Http.Proxy.Http1;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Proxy.Http1;

/// <summary>
/// The proxy's own HTTP/1.1 client against a scripted upstream that answers with exact bytes over a real socket: how a
/// body is delimited, when a connection is kept, what happens when the server closes one or answers badly.
/// </summary>
public sealed class Http1ForwarderTests
{
    /// <summary>An upstream server that reads each request head and answers with the script's bytes for it.</summary>
    private sealed class ScriptedUpstream : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Func<int, string, Socket, Task> _answer;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _requests;

        public ScriptedUpstream(Func<int, string, Socket, Task> answer)
        {
            _answer = answer;
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen();
            _accepting = AcceptAsync();
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";

        public int Connections;

        public List<string> Heads { get; } = [];

        /// <summary>The body of each request, as its Content-Length delimits it ("" for none).</summary>
        public List<string> Bodies { get; } = [];

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    Socket socket = await _listener.AcceptAsync(_stop.Token);
                    Interlocked.Increment(ref Connections);
                    _ = ServeAsync(socket);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using (socket)
            {
                var buffer = new byte[16 * 1024];
                var pending = new StringBuilder();
                try
                {
                    while (true)
                    {
                        int end;
                        while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                        {
                            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                            if (read == 0)
                            {
                                return;
                            }
                            pending.Append(Encoding.Latin1.GetString(buffer, 0, read));
                        }
                        string head = pending.ToString(0, end + 4);
                        pending.Remove(0, end + 4);
                        System.Text.RegularExpressions.Match length = System.Text.RegularExpressions.Regex.Match(head, "\r\nContent-Length: (\\d+)\r\n");
                        int bodyLength = length.Success ? int.Parse(length.Groups[1].Value) : 0;
                        while (pending.Length < bodyLength)
                        {
                            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                            if (read == 0)
                            {
                                return;
                            }
                            pending.Append(Encoding.Latin1.GetString(buffer, 0, read));
                        }
                        lock (Heads)
                        {
                            Heads.Add(head);
                            Bodies.Add(pending.ToString(0, bodyLength));
                        }
                        pending.Remove(0, bodyLength);
                        await _answer(Interlocked.Increment(ref _requests), head, socket);
                        if (!socket.Connected)
                        {
                            return;
                        }
                    }
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                }
                catch (SocketException)
                {
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Dispose();
            await _accepting;
        }
    }

    private static Task Send(Socket socket, string bytes) => socket.SendAsync(Encoding.Latin1.GetBytes(bytes), SocketFlags.None);

    private static async Task<(ProxyFront Front, ScriptedUpstream Upstream)> StartAsync(Func<int, string, Socket, Task> answer)
    {
        var upstream = new ScriptedUpstream(answer);
        ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url));
        Assert.NotNull(front.Upstream.Servers[0].Http1Pool);   // these requests take the own client, not YARP
        return (front, upstream);
    }

    [Fact]
    public async Task AKeptAliveConnectionCarriesTheNextRequests()
    {
        var (front, upstream) = await StartAsync((n, _, socket) => Send(socket, $"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok {n}"));
        await using (front)
        await using (upstream)
        {
            for (int n = 1; n <= 3; n++)
            {
                Assert.Equal($"ok {n}", await front.Client.GetStringAsync("/"));
            }
            Assert.Equal(1, upstream.Connections);
            Assert.Equal(1, front.Upstream.Servers[0].Http1Pool!.IdleCount);
        }
    }

    [Fact]
    public async Task TheRequestHeadCarriesTheClientsFieldsButNotItsHopByHopOnes()
    {
        var (front, upstream) = await StartAsync((_, _, socket) => Send(socket, "HTTP/1.1 204 No Content\r\n\r\n"));
        await using (front)
        await using (upstream)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/a%2Fb?q=1");
            request.Headers.Host = "shop.example";
            request.Headers.Add("X-App", "one");
            request.Headers.Add("Connection", "X-Private");
            request.Headers.Add("X-Private", "secret");
            request.Headers.Add("Keep-Alive", "timeout=5");
            using HttpResponseMessage response = await front.Client.SendAsync(request);

            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            string head = Assert.Single(upstream.Heads);
            Assert.StartsWith("GET /a%2Fb?q=1 HTTP/1.1\r\nHost: shop.example\r\n", head);
            Assert.Contains("\r\nX-App: one\r\n", head);
            Assert.Contains("\r\nX-Forwarded-For: 127.0.0.1\r\n", head);
            Assert.DoesNotContain("X-Private", head);
            Assert.DoesNotContain("Keep-Alive", head);
            Assert.DoesNotContain("Connection", head);
            Assert.DoesNotContain("Content-Length", head);
        }
    }

    [Fact]
    public async Task AChunkedResponseArrivesWholeAndItsConnectionIsKept()
    {
        var (front, upstream) = await StartAsync(async (_, _, socket) =>
        {
            await Send(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nHello\r\n");
            await Task.Delay(20);
            await Send(socket, "8\r\n, World!\r\n0\r\nX-Trailer: t\r\n\r\n");
        });
        await using (front)
        await using (upstream)
        {
            Assert.Equal("Hello, World!", await front.Client.GetStringAsync("/"));
            Assert.Equal("Hello, World!", await front.Client.GetStringAsync("/"));
            Assert.Equal(1, upstream.Connections);
        }
    }

    [Fact]
    public async Task AResponseThatEndsWithItsConnectionArrivesWholeAndTheConnectionIsNotKept()
    {
        var (front, upstream) = await StartAsync(async (n, _, socket) =>
        {
            await Send(socket, $"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close {n}");
            socket.Shutdown(SocketShutdown.Both);
            socket.Close();
        });
        await using (front)
        await using (upstream)
        {
            Assert.Equal("until close 1", await front.Client.GetStringAsync("/"));
            Assert.Equal("until close 2", await front.Client.GetStringAsync("/"));
            Assert.Equal(2, upstream.Connections);
            Assert.Equal(0, front.Upstream.Servers[0].Http1Pool!.IdleCount);
        }
    }

    /// <summary>"ok N", then the server's keep-alive timeout closes the connection without a word.</summary>
    private static async Task AnswersThenClosesWhileIdle(int n, string head, Socket socket)
    {
        await Send(socket, $"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok {n}");
        await Task.Delay(50);
        socket.Close();
    }

    [Fact]
    public async Task AKeptConnectionTheServerClosedWhileIdleIsReplacedWithoutAnError()
    {
        var (front, upstream) = await StartAsync(AnswersThenClosesWhileIdle);
        await using (front)
        await using (upstream)
        {
            Assert.Equal("ok 1", await front.Client.GetStringAsync("/"));
            await Task.Delay(300);
            Assert.Equal("ok 2", await front.Client.GetStringAsync("/"));
            Assert.Equal(2, upstream.Connections);
            Assert.DoesNotContain(front.Logs.Lines, line => line.Contains("the client got", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")]
    public async Task AMalformedResponseIsA502(string answer)
    {
        var (front, upstream) = await StartAsync((_, _, socket) => Send(socket, answer));
        await using (front)
        await using (upstream)
        {
            using HttpResponseMessage response = await front.Client.GetAsync("/page");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains("<h1>502 Bad Gateway</h1>", await response.Content.ReadAsStringAsync());
            Assert.Contains(front.Logs.Lines, line => line.Contains("the client got 502", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AServerThatClosesBeforeAnsweringIsA502()
    {
        var (front, upstream) = await StartAsync((_, _, socket) =>
        {
            socket.Close();
            return Task.CompletedTask;
        });
        await using (front)
        await using (upstream)
        {
            using HttpResponseMessage response = await front.Client.GetAsync("/page");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains(front.Logs.Lines, line => line.Contains("the server closed the connection before it answered", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AResponseCutShortCutsTheClientsConnection()
    {
        var (front, upstream) = await StartAsync(async (_, _, socket) =>
        {
            await Send(socket, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
            await Task.Delay(50);
            socket.Close();
        });
        await using (front)
        await using (upstream)
        {
            using HttpResponseMessage response = await front.Client.GetAsync("/page", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsStringAsync());
            await Eventually.TrueAsync(() => front.Logs.Lines.Any(line => line.Contains("the connection was cut", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task HopByHopFieldsOfTheResponseStayBehindAndInterimResponsesAreSkipped()
    {
        var (front, upstream) = await StartAsync((_, _, socket) => Send(socket,
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
            "HTTP/1.1 201 Created\r\nConnection: X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-End: 2\r\nContent-Length: 2\r\n\r\nok"));
        await using (front)
        await using (upstream)
        {
            using HttpResponseMessage response = await front.Client.GetAsync("/");
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
            Assert.Equal("2", response.Headers.GetValues("X-End").Single());
            Assert.False(response.Headers.Contains("X-Hop"));
            Assert.False(response.Headers.Contains("Keep-Alive"));
        }
    }

    [Fact]
    public async Task ARepeatedContentLengthReachesTheClientAsOneValue()
    {
        var (front, upstream) = await StartAsync((_, _, socket) => Send(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"));
        await using (front)
        await using (upstream)
        {
            using HttpResponseMessage response = await front.Client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(2, response.Content.Headers.ContentLength);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task APostWithoutABodySaysItsLengthIsZero()
    {
        var (front, upstream) = await StartAsync((_, _, socket) => Send(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using (front)
        await using (upstream)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/form");
            using HttpResponseMessage response = await front.Client.SendAsync(request);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
            Assert.Equal(1, front.Upstream.Servers[0].Http1Pool!.IdleCount);   // the own client took it
            string head = Assert.Single(upstream.Heads);
            Assert.StartsWith("POST /form HTTP/1.1\r\n", head);
            Assert.EndsWith("\r\nContent-Length: 0\r\n\r\n", head);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(BufferedRequestBody.MaxBytes)]
    public async Task ASmallBodyIsReadAheadAndSentWithItsHeadOnTheOwnClient(int size)
    {
        var (front, upstream) = await StartAsync((_, _, socket) => Send(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using (front)
        await using (upstream)
        {
            string data = Body(size);
            using HttpResponseMessage response = await front.Client.PostAsync("/form", new StringContent(data));
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
            Assert.Equal(1, front.Upstream.Servers[0].Http1Pool!.IdleCount);   // the own client took it
            string head = Assert.Single(upstream.Heads);
            Assert.StartsWith("POST /form HTTP/1.1\r\n", head);
            Assert.Contains($"\r\nContent-Length: {size}\r\n", head);
            Assert.Equal(data, Assert.Single(upstream.Bodies));
        }
    }

    [Fact]
    public async Task ALargerBodyStreamsThroughYarpInstead()
    {
        var (front, upstream) = await StartAsync((_, _, socket) => Send(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using (front)
        await using (upstream)
        {
            string data = Body(BufferedRequestBody.MaxBytes + 1);
            using HttpResponseMessage response = await front.Client.PostAsync("/", new StringContent(data));
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
            Assert.Equal(0, front.Upstream.Servers[0].Http1Pool!.IdleCount);   // HttpClient's pool has that connection
            Assert.Contains($"Content-Length: {data.Length}", Assert.Single(upstream.Heads));
            Assert.Equal(data, Assert.Single(upstream.Bodies));
        }
    }

    [Fact]
    public async Task APostIsNotSentOnAKeptConnectionTheServerHasClosed()
    {
        var (front, upstream) = await StartAsync(AnswersThenClosesWhileIdle);
        await using (front)
        await using (upstream)
        {
            Assert.Equal("ok 1", await front.Client.GetStringAsync("/"));
            await Task.Delay(300);
            using HttpResponseMessage response = await front.Client.PostAsync("/order", new StringContent("one book"));
            Assert.Equal("ok 2", await response.Content.ReadAsStringAsync());
            Assert.Equal(2, upstream.Connections);
            Assert.Equal(["", "one book"], upstream.Bodies);
            Assert.DoesNotContain(front.Logs.Lines, line => line.Contains("the client got", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task APostWhoseKeptConnectionFailsIsNotSentAgainButAGetIs()
    {
        // The server takes each connection's second request and closes without an answer: for all the proxy can
        // tell, it may have acted on it.
        var (front, upstream) = await StartAsync(async (n, head, socket) =>
        {
            if (head.Contains("/second", StringComparison.Ordinal))
            {
                socket.Close();
                return;
            }
            await Send(socket, $"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok {n}");
        });
        await using (front)
        await using (upstream)
        {
            Assert.Equal("ok 1", await front.Client.GetStringAsync("/first"));
            using HttpResponseMessage post = await front.Client.PostAsync("/second", new StringContent("pay 10"));
            Assert.Equal(HttpStatusCode.BadGateway, post.StatusCode);
            Assert.Single(upstream.Bodies, body => body == "pay 10");   // sent once, not again on a new connection
            Assert.Contains(front.Logs.Lines, line => line.Contains(
                "the server closed the connection before it answered on a kept-alive connection, and a POST is not sent twice; the client got 502",
                StringComparison.Ordinal));

            Assert.Equal("ok 3", await front.Client.GetStringAsync("/first"));
            using HttpResponseMessage get = await front.Client.GetAsync("/second");
            Assert.Equal(HttpStatusCode.BadGateway, get.StatusCode);   // once more on a new connection, which fails too
            Assert.Equal(2, upstream.Heads.Count(h => h.StartsWith("GET /second ", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task AClientThatLeavesMidBodySendsNothingUpstreamAndTheNextRequestIsServed()
    {
        var (front, upstream) = await StartAsync((_, _, socket) => Send(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using (front)
        await using (upstream)
        {
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(new Uri(front.Url).Host, new Uri(front.Url).Port);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part"));
                await Task.Delay(100);
            }
            await Task.Delay(100);
            Assert.Equal("ok", await front.Client.GetStringAsync("/"));
            Assert.Equal("GET / HTTP/1.1", Assert.Single(upstream.Heads).Split("\r\n")[0]);
        }
    }

    private static string Body(int size) => string.Create(size, 0, (span, _) =>
    {
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (char)('a' + (i % 26));
        }
    });
}
