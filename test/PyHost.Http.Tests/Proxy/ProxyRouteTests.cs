using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using PyHost.Configuration.Model;
using PyHost.Http.Forwarding;
using PyHost.Http.Proxy;
using PyHost.Http.StaticFiles;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Proxy;

/// <summary>A proxy route against real upstream servers (Kestrel on 127.0.0.1 and on unix sockets).</summary>
public sealed class ProxyRouteTests
{
    /// <summary>An upstream that answers with what it received: method, target, Host and the forwarding headers, and the body.</summary>
    private static Task<TestKestrel> EchoAsync(string name = "echo", string? unixSocket = null, HttpProtocols protocols = HttpProtocols.Http1) =>
        TestKestrel.StartAsync(async context =>
    {
        HttpRequest request = context.Request;
        string body = await new StreamReader(request.Body).ReadToEndAsync();
        context.Response.Headers["X-Upstream"] = name;
        context.Response.Headers["Set-Cookie"] = "app=1";
        await context.Response.WriteAsync(
            $"{request.Method} {context.Features.Get<IHttpRequestFeature>()!.RawTarget}\n" +
            $"host={request.Headers.Host}\nxff={request.Headers["X-Forwarded-For"]}\nxfp={request.Headers["X-Forwarded-Proto"]}\n" +
            $"xfh={request.Headers["X-Forwarded-Host"]}\nforwarded={request.Headers["Forwarded"]}\nsecret={request.Headers["X-Secret"]}\nbody={body}\n");
    }, unixSocket, protocols: protocols);

    [Fact]
    public async Task TheRequestReachesTheServerAsSentAndTheAnswerComesBack()
    {
        await using TestKestrel upstream = await EchoAsync();
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/a%2Fb/c?x=1&y=%20") { Content = new StringContent("hello body") };
        request.Headers.Host = "shop.example";
        using HttpResponseMessage response = await front.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo", response.Headers.GetValues("X-Upstream").Single());
        Assert.Equal(["app=1"], response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("POST /a%2Fb/c?x=1&y=%20\nhost=shop.example\nxff=127.0.0.1\nxfp=http\nxfh=shop.example\nforwarded=\n", text);
        Assert.EndsWith("body=hello body\n", text);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), front.LastBodyBytes);
    }

    [Fact]
    public async Task StripPrefixSendsThePathBelowTheRoutesPrefix()
    {
        await using TestKestrel upstream = await EchoAsync();
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url), new RouteConfig { Path = "/api", StripPrefix = true });

        Assert.StartsWith("GET /users/7?full=1\n", await front.Client.GetStringAsync("/api/users/7?full=1"));
        Assert.StartsWith("GET /\n", await front.Client.GetStringAsync("/api"));
        Assert.StartsWith("GET /?q=1\n", await front.Client.GetStringAsync("/api?q=1"));
    }

    [Fact]
    public async Task WithoutPreserveHostTheServerSeesItsOwnHostAndPort()
    {
        await using TestKestrel upstream = await EchoAsync();
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url) with { PreserveHost = false });

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = "shop.example";
        string text = await (await front.Client.SendAsync(request)).Content.ReadAsStringAsync();

        Assert.Contains($"\nhost=127.0.0.1:{upstream.Port}\n", text);
        Assert.Contains("\nxfh=shop.example\n", text);
    }

    [Fact]
    public async Task AnUntrustedClientsForwardingHeadersAreReplacedAndATrustedProxysChainIsExtended()
    {
        await using TestKestrel upstream = await EchoAsync();
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/");
        forged.Headers.Add("X-Forwarded-For", "203.0.113.66");
        forged.Headers.Add("X-Forwarded-Proto", "https");
        forged.Headers.Add("Forwarded", "for=203.0.113.66");
        forged.Headers.Host = "site.example";

        await using (ProxyFront untrusting = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url) with { ForwardedHeaders = ForwardedHeadersToSend.Both }))
        {
            string text = await (await untrusting.Client.SendAsync(forged)).Content.ReadAsStringAsync();
            Assert.Contains("\nxff=127.0.0.1\nxfp=http\nxfh=site.example\nforwarded=for=127.0.0.1;proto=http;host=\"site.example\"\n", text);
        }

        using var relayed = new HttpRequestMessage(HttpMethod.Get, "/");
        relayed.Headers.Add("X-Forwarded-For", "198.51.100.7");
        relayed.Headers.Add("X-Forwarded-Proto", "https");
        relayed.Headers.Host = "site.example";
        await using ProxyFront trusting = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url), trusted: TrustedProxies.Loopback);
        string chained = await (await trusting.Client.SendAsync(relayed)).Content.ReadAsStringAsync();
        Assert.Contains("\nxff=198.51.100.7, 127.0.0.1\nxfp=https\nxfh=site.example\nforwarded=\n", chained);
    }

    [Fact]
    public async Task FieldsTheConnectionHeaderNamesAreNotPassedOn()
    {
        await using TestKestrel upstream = await EchoAsync();
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Secret", "hop-only");
        request.Headers.Connection.Add("X-Secret");

        Assert.Contains("\nsecret=\n", await (await front.Client.SendAsync(request)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AUnixSocketServerIsReached()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"pyhost-proxy-{Guid.NewGuid():N}.sock");
        await using TestKestrel upstream = await EchoAsync("unix", socket);
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf($"unix:{socket}"));

        using HttpResponseMessage response = await front.Client.GetAsync("/over/unix");

        Assert.Equal("unix", response.Headers.GetValues("X-Upstream").Single());
        Assert.StartsWith("GET /over/unix\n", await response.Content.ReadAsStringAsync());
        File.Delete(socket);
    }

    [Fact]
    public async Task ARefusedConnectionIsA502PageAndTheLogSaysWhy()
    {
        int closed = ClosedPort.Find();
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf($"http://127.0.0.1:{closed}"));

        using HttpResponseMessage response = await front.Client.GetAsync("/page");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("<h1>502 Bad Gateway</h1>", await response.Content.ReadAsStringAsync());
        Assert.Contains(front.Logs.Lines, line => line.Contains($"GET /page: upstream backend server http://127.0.0.1:{closed}: connection refused; the client got 502", StringComparison.Ordinal));
        Assert.DoesNotContain(front.Logs.Lines, line => line.Contains("retrying", StringComparison.Ordinal));   // there is no other server
    }

    [Fact]
    public async Task TheSitesOwnErrorPageIsSentFor502()
    {
        string page = Path.Combine(Path.GetTempPath(), $"pyhost-50x-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(page, "<p>our own sorry page</p>");
        Assert.True(ErrorPageFile.TryParse($"50x={page}", out ErrorPageFile? errorPage, out _));
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf($"http://127.0.0.1:{ClosedPort.Find()}"), errorPages: [errorPage]);

        using HttpResponseMessage response = await front.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("<p>our own sorry page</p>", await response.Content.ReadAsStringAsync());
        File.Delete(page);
    }

    [Fact]
    public async Task AnIdempotentRequestIsRetriedOnAnotherServerButAPostIsNot()
    {
        await using TestKestrel alive = await EchoAsync("alive");
        // Round robin starts with the first server: the dead one.
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf($"http://127.0.0.1:{ClosedPort.Find()}", alive.Url) with { MaxFails = 0 });

        using HttpResponseMessage get = await front.Client.GetAsync("/get");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("alive", get.Headers.GetValues("X-Upstream").Single());
        Assert.Contains(front.Logs.Lines, line => line.Contains("GET /get: upstream backend server", StringComparison.Ordinal) && line.EndsWith($"connection refused; retrying on {alive.Url}", StringComparison.Ordinal));

        // The next round-robin turn is the live server's; the one after goes to the dead one again.
        Assert.Equal(HttpStatusCode.OK, (await front.Client.PostAsync("/post", new StringContent("x"))).StatusCode);
        using HttpResponseMessage post = await front.Client.PostAsync("/post", new StringContent("x"));
        Assert.Equal(HttpStatusCode.BadGateway, post.StatusCode);
    }

    [Theory]
    [InlineData(false)]   // the own HTTP/1.1 client
    [InlineData(true)]    // h2c to the servers: YARP's forwarder
    public async Task APutWithASmallBodyIsRetriedWithItsBodyButALargeOneIsNot(bool h2)
    {
        await using TestKestrel alive = await EchoAsync("alive", protocols: h2 ? HttpProtocols.Http2 : HttpProtocols.Http1);
        UpstreamConfig upstream = ProxyFront.UpstreamOf($"http://127.0.0.1:{ClosedPort.Find()}", alive.Url) with
        {
            MaxFails = 0, Protocol = h2 ? PyHost.Configuration.Model.HttpProtocol.Http2 : PyHost.Configuration.Model.HttpProtocol.Http1,
        };
        await using ProxyFront front = await ProxyFront.StartAsync(upstream);
        Assert.Equal(h2, front.Upstream.Servers[1].Http1Pool is null);

        // Round robin: the dead server first, then the live one, for each request.
        using HttpResponseMessage small = await front.Client.PutAsync("/doc", new StringContent("version 2"));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.EndsWith("body=version 2\n", await small.Content.ReadAsStringAsync());
        Assert.Contains(front.Logs.Lines, line => line.Contains("PUT /doc: upstream backend server", StringComparison.Ordinal) && line.EndsWith($"retrying on {alive.Url}", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, (await front.Client.GetAsync("/")).StatusCode);   // the live server's turn
        using HttpResponseMessage large = await front.Client.PutAsync("/doc", new StringContent(new string('x', BufferedRequestBody.MaxBytes + 1)));
        Assert.Equal(HttpStatusCode.BadGateway, large.StatusCode);   // streamed as it came: nothing left to send again
    }

    [Fact]
    public async Task WithRequestBufferingOffASmallBodyStreamsAndIsNotRetried()
    {
        await using TestKestrel alive = await EchoAsync("alive");
        UpstreamConfig upstream = ProxyFront.UpstreamOf($"http://127.0.0.1:{ClosedPort.Find()}", alive.Url) with { MaxFails = 0 };
        await using ProxyFront front = await ProxyFront.StartAsync(upstream, new RouteConfig { RequestBuffering = false });

        Assert.False(front.Endpoint.Proxy.ReadsBodiesAhead);
        using HttpResponseMessage put = await front.Client.PutAsync("/doc", new StringContent("version 2"));
        Assert.Equal(HttpStatusCode.BadGateway, put.StatusCode);   // the body went as it came: nothing left to send again
        using HttpResponseMessage next = await front.Client.PutAsync("/doc", new StringContent("version 3"));
        Assert.EndsWith("body=version 3\n", await next.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ABodyOverMaxBodySizeIs413AndNeverReachesTheServer()
    {
        int reached = 0;
        await using TestKestrel upstream = await TestKestrel.StartAsync(async context =>
        {
            Interlocked.Increment(ref reached);
            await context.Response.WriteAsync($"got {(await new StreamReader(context.Request.Body).ReadToEndAsync()).Length}");
        });
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(upstream.Url), maxRequestBodySize: 1000);

        Assert.Equal("got 1000", await (await front.Client.PostAsync("/", new StringContent(new string('x', 1000)))).Content.ReadAsStringAsync());

        using HttpResponseMessage declared = await front.Client.PostAsync("/", new StringContent(new string('x', 1001)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Contains("<h1>413", await declared.Content.ReadAsStringAsync());
        Assert.True(declared.Headers.ConnectionClose);   // the body was not read
        Assert.Equal(1, reached);

        // A chunked body streams to the server, and is stopped (the server's request cut) when it passes the limit.
        var chunked = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(new string('x', 5000))));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage streamed = await front.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
    }

    [Fact]
    public async Task AConnectionNotMadeWithinConnectTimeoutIsA504()
    {
        // A listening socket whose queue is full and which never accepts: the kernel drops further SYNs, so a
        // connect neither succeeds nor fails until the caller gives up.
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        for (int i = 0; i < 3; i++)
        {
            var filler = new Socket(SocketType.Stream, ProtocolType.Tcp);
            _ = filler.ConnectAsync(IPAddress.Loopback, port);
            fillers.Add(filler);
        }
        await Task.Delay(200);
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf($"http://127.0.0.1:{port}") with { ConnectTimeout = TimeSpan.FromMilliseconds(300) });

        using HttpResponseMessage response = await front.Client.GetAsync("/slow-connect");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains(front.Logs.Lines, line => line.Contains($"no connection to http://127.0.0.1:{port} within 0.3 s; the client got 504", StringComparison.Ordinal));
        fillers.ForEach(filler => filler.Dispose());
    }

    [Fact]
    public async Task AnAnswerLaterThanResponseTimeoutIsA504()
    {
        await using TestKestrel slow = await TestKestrel.StartAsync(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
            await context.Response.WriteAsync("too late");
        });
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf(slow.Url) with { ResponseTimeout = TimeSpan.FromMilliseconds(300) });

        using HttpResponseMessage response = await front.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("did not answer in time", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WhenEveryServerIsDownTheClientGets503()
    {
        await using ProxyFront front = await ProxyFront.StartAsync(ProxyFront.UpstreamOf($"http://127.0.0.1:{ClosedPort.Find()}") with { MaxFails = 1, Retries = 0 });

        Assert.Equal(HttpStatusCode.BadGateway, (await front.Client.GetAsync("/")).StatusCode);
        using HttpResponseMessage response = await front.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.RetryAfter!.ToString());
        Assert.Contains(front.Logs.Lines, line => line.Contains("upstream backend has no server available; the client got 503", StringComparison.Ordinal));
    }
}
