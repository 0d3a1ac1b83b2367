using System.Net;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Access;

/// <summary>
/// rate_limit of `pyhost serve` from its pyhost.toml, by what it counts: a header's or a cookie's value (one bucket
/// per value, none without it), the client behind Debian's nginx as forwarded_allow_ips lets PyHost believe it (one
/// bucket per forwarded client; an untrusted peer's X-Forwarded-For counts for nothing), and max_concurrent (429 for
/// a request beyond the ones in progress, until one ends).
/// </summary>
public sealed class RateLimitServeTests(ITestOutputHelper output)
{
    private const string Listen = """
        [server]
        forwarded_allow_ips = ["127.0.0.1"]

        [[listen]]
        address = "127.0.0.1:{port0}"

        """;

    [Fact]
    public async Task AHeaderOrACookieKeyGivesEachValueABucketOfItsOwn()
    {
        await using var server = await ConfiguredServer.StartAsync(output, Listen + """
            [[site]]
              [[site.route]]
              path = "/by-header"
              respond = { status = 200, body = "by header\n" }
              rate_limit = { rate = "1r/m", key = "header:X-Api-Key" }

              [[site.route]]
              path = "/by-cookie"
              respond = { status = 200, body = "by cookie\n" }
              rate_limit = { rate = "1r/m", key = "cookie:session" }
            """);

        // 1r/m without a burst: a key's second request is refused. Every request comes from 127.0.0.1.
        (await AskAsync(server, "/by-header", "X-Api-Key: one")).AssertStatus(200);
        RawHttpResponse refused = (await AskAsync(server, "/by-header", "X-Api-Key: one")).AssertStatus(429);
        Assert.InRange(int.Parse(refused.Header("Retry-After")!), 1, 60);
        (await AskAsync(server, "/by-header", "X-Api-Key: two")).AssertStatus(200);
        (await AskAsync(server, "/by-header", "X-Api-Key: two")).AssertStatus(429);
        // Without the header a request is not counted, as nginx skips an empty key.
        (await AskAsync(server, "/by-header")).AssertStatus(200);
        (await AskAsync(server, "/by-header")).AssertStatus(200);

        (await AskAsync(server, "/by-cookie", "Cookie: session=one")).AssertStatus(200);
        (await AskAsync(server, "/by-cookie", "Cookie: theme=dark; session=one")).AssertStatus(429);
        (await AskAsync(server, "/by-cookie", "Cookie: session=two")).AssertStatus(200);
        (await AskAsync(server, "/by-cookie", "Cookie: session=two; theme=dark")).AssertStatus(429);
        (await AskAsync(server, "/by-cookie", "Cookie: theme=dark")).AssertStatus(200);
        (await AskAsync(server, "/by-cookie", "Cookie: theme=dark")).AssertStatus(200);
        await server.Process.WaitForOutputAsync(new Regex(Regex.Escape("over rate 1r/m, burst 0, the last for header:X-Api-Key one")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task BehindNginxEachForwardedClientHasABucketAndAnUntrustedPeersForwardedForCountsForNothing()
    {
        await using var server = await ConfiguredServer.StartAsync(output, Listen + """
            [[site]]
              [[site.route]]
              respond = { status = 200, body = "limited\n" }
              rate_limit = { rate = "1r/m" }
            """);
        await using ReverseProxy nginx = await ReverseProxy.StartNginxAsync(server.Ports[0]);
        using HttpClient first = nginx.HttpsClient(IPAddress.Parse("127.0.0.2"));
        using HttpClient second = nginx.HttpsClient(IPAddress.Parse("127.0.0.3"));

        // nginx (127.0.0.1, trusted) passes X-Forwarded-For with the client it saw last: that client is the key.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(first, nginx));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(first, nginx));
        // A client's own X-Forwarded-For comes before the address nginx appends, and does not make it someone else.
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(first, nginx, "198.51.100.7"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(second, nginx));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(second, nginx));

        // Straight from 127.0.0.4, no trusted proxy, X-Forwarded-For is not believed: the peer is the key.
        var untrusted = IPAddress.Parse("127.0.0.4");
        (await AskAsync(server, "/", "X-Forwarded-For: 198.51.100.1", untrusted)).AssertStatus(200);
        (await AskAsync(server, "/", "X-Forwarded-For: 198.51.100.2", untrusted)).AssertStatus(429);
        // The same headers from the trusted 127.0.0.1 name two clients.
        (await AskAsync(server, "/", "X-Forwarded-For: 198.51.100.1")).AssertStatus(200);
        (await AskAsync(server, "/", "X-Forwarded-For: 198.51.100.2")).AssertStatus(200);
        (await AskAsync(server, "/", "X-Forwarded-For: 198.51.100.2")).AssertStatus(429);
    }

    [Fact]
    public async Task MaxConcurrentRefusesARequestBeyondTheOnesInProgressUntilOneEnds()
    {
        // No minimum body rate: a held request must not be ended by a 408 while the test looks at the others.
        await using var server = await ConfiguredServer.StartAsync(output, Listen.Replace("{port0}\"", "{port0}\"\nlimits = { min_request_body_rate = 0 }") + """
            [[site]]
              [[site.route]]
              app = "main"
              rate_limit = { max_concurrent = 2 }

            [app.main]
            module = "named:app"
            workers = 1
            """);

        // A request in progress: its head says Expect: 100-continue, the 100 says it passed the limit and its body is
        // wanted, and the test holds the body back.
        async Task<RawHttpConnection> HoldAsync(IPAddress? from)
        {
            var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, server.Ports[0]), from);
            await connection.SendAsync("POST /held HTTP/1.1\r\nHost: site.test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            (await connection.ReadResponseAsync()).AssertStatus(100);
            return connection;
        }

        await using RawHttpConnection first = await HoldAsync(null);
        await using RawHttpConnection second = await HoldAsync(null);
        RawHttpResponse refused = (await AskAsync(server, "/third")).AssertStatus(429);
        Assert.Equal("1", refused.Header("Retry-After"));
        await using RawHttpConnection other = await HoldAsync(IPAddress.Parse("127.0.0.2"));   // another client, its own count

        await first.SendAsync("done");
        Assert.Equal("/held", (await first.ReadResponseAsync()).AssertStatus(200).Json().GetProperty("path_info").GetString());
        // Its slot is given back once its exchange is over, moments after the client has the answer.
        Assert.True(await Eventually.HoldsAsync(async () => (await AskAsync(server, "/fourth")).StatusCode == 200, TimeSpan.FromSeconds(10)), server.Process.Output);
        await server.Process.WaitForOutputAsync(new Regex(Regex.Escape("over max_concurrent 2, the last for client 127.0.0.1")), TimeSpan.FromSeconds(10));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, ReverseProxy nginx, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{response.StatusCode}\n{nginx.ErrorLog}");
        return response.StatusCode;
    }

    private static async Task<RawHttpResponse> AskAsync(ConfiguredServer server, string target, string header = "", IPAddress? from = null)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, server.Ports[0]), from);
        string line = header.Length == 0 ? "" : header + "\r\n";
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: site.test\r\n{line}Connection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
    }
}
