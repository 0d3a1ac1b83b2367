using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>
/// asgiref specs/www.rst "HTTP", one test per rule, each run against PyHost and, as the reference, uvicorn and
/// hypercorn serving the same app. Where a reference server does not implement a rule, the test says so and why.
/// </summary>
[Collection(AsgiConformanceCollection.Name)]
public sealed class HttpConformanceTests(ConformanceServers servers, ITestOutputHelper output) : IDisposable
{
    private readonly Dictionary<string, int> marks = new[] { AsgiServer.PyHost, AsgiServer.Uvicorn, AsgiServer.Hypercorn }
        .ToDictionary(name => name, name => servers[name].Process.LineCount);

    public static IEnumerable<object[]> All => ConformanceServers.All;


    private static void AssertBytes(string expected, JsonElement tagged) => Assert.Equal(expected, tagged.GetProperty("b").GetString());

    private async Task<JsonElement> ScopeAsync(AsgiServer server, string target, params string[] headers)
    {
        RawHttpResponse response = (await server.GetAsync(target, headers)).AssertStatus(200);
        return response.Json();
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task TheScopeSaysHttpAndTheAsgiVersions(string name)
    {
        JsonElement scope = (await ScopeAsync(servers[name], "/scope")).GetProperty("scope");

        Assert.Equal("http", scope.GetProperty("type").GetString());
        Assert.Equal("3.0", scope.GetProperty("asgi").GetProperty("version").GetString());
        // spec_version is optional ("2.0" when missing); those who give it give a 2.x.
        if (scope.GetProperty("asgi").TryGetProperty("spec_version", out JsonElement spec))
        {
            Assert.StartsWith("2.", spec.GetString());
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task HttpVersionMethodAndSchemeAreAsSent(string name)
    {
        AsgiServer server = servers[name];
        RawHttpResponse response = (await server.SendAsync(server.Request("PATCH", "/scope", body: "x"))).AssertStatus(200);
        JsonElement scope = response.Json().GetProperty("scope");

        Assert.Equal("1.1", scope.GetProperty("http_version").GetString());
        Assert.Equal("PATCH", scope.GetProperty("method").GetString());
        Assert.Equal("http", scope.GetProperty("scheme").GetString());
    }

    /// <summary>http_version "2" for a request over HTTP/2, here cleartext with prior knowledge (RFC 9113 §3.3).
    /// uvicorn does not speak HTTP/2.</summary>
    [Theory]
    [InlineData(AsgiServer.PyHost)]
    [InlineData(AsgiServer.Hypercorn)]
    public async Task HttpVersionIs2OverHttp2(string name)
    {
        using var client = new HttpClient(new SocketsHttpHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{servers[name].Authority}/scope")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using HttpResponseMessage response = await client.SendAsync(request);
        JsonElement scope = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("scope");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("2", scope.GetProperty("http_version").GetString());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task PathIsPercentDecodedUtf8AndRawPathKeepsTheBytesSent(string name)
    {
        JsonElement scope = (await ScopeAsync(servers[name], "/scope/caf%C3%A9/a%20b?x=%20y&z")).GetProperty("scope");

        Assert.Equal("/scope/caf\u00e9/a b", scope.GetProperty("path").GetString());
        AssertBytes("/scope/caf%C3%A9/a%20b", scope.GetProperty("raw_path"));
        AssertBytes("x=%20y&z", scope.GetProperty("query_string"));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task RootPathIsEmptyAtTheRoot(string name)
    {
        JsonElement scope = (await ScopeAsync(servers[name], "/scope")).GetProperty("scope");

        Assert.Equal("", scope.TryGetProperty("root_path", out JsonElement root) ? root.GetString() : "");
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task HeadersAreLowerCasedBytesWithRepeatsInOrderAndTheirOriginalBytes(string name)
    {
        JsonElement scope = (await ScopeAsync(servers[name], "/scope", "X-Repeat: first", "X-Other: o", "X-Repeat: second", "X-Latin1: caf\u00e9")).GetProperty("scope");
        List<(string Name, string Value)> headers = scope.GetProperty("headers").EnumerateArray()
            .Select(pair => (pair[0].GetProperty("b").GetString()!, pair[1].GetProperty("b").GetString()!)).ToList();

        Assert.Equal(["first", "second"], headers.Where(h => h.Name == "x-repeat").Select(h => h.Value));
        Assert.Contains(("x-latin1", "caf\u00e9"), headers);   // byte 0xE9, as the client sent it
        Assert.Contains(("host", servers[name].Authority), headers);
        Assert.All(headers, h => Assert.Equal(h.Name.ToLowerInvariant(), h.Name));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ClientIsThePeerAndServerTheListeningSocket(string name)
    {
        JsonElement scope = (await ScopeAsync(servers[name], "/scope")).GetProperty("scope");

        JsonElement client = scope.GetProperty("client");
        Assert.Equal("127.0.0.1", client[0].GetString());
        Assert.InRange(client[1].GetInt32(), 1, 65535);
        JsonElement server = scope.GetProperty("server");
        Assert.Equal("127.0.0.1", server[0].GetString());
        Assert.Equal(servers[name].Port, server[1].GetInt32());
    }

    /// <summary>Not www.rst but what users rely on: behind a trusted proxy (loopback is trusted by default, in uvicorn
    /// too) the client and the scheme are the ones the proxy names. hypercorn reads no proxy header.</summary>
    [Theory]
    [InlineData("pyhost")]
    [InlineData("uvicorn")]
    public async Task BehindATrustedProxyClientAndSchemeAreTheForwardedOnes(string name)
    {
        JsonElement scope = (await ScopeAsync(servers[name], "/scope", "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https")).GetProperty("scope");

        Assert.Equal("203.0.113.7", scope.GetProperty("client")[0].GetString());
        Assert.Equal("https", scope.GetProperty("scheme").GetString());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ARequestWithoutBodyIsOneEmptyHttpRequestMessage(string name)
    {
        JsonElement first = (await ScopeAsync(servers[name], "/scope")).GetProperty("first_message");

        Assert.Equal("http.request", first.GetProperty("type").GetString());
        AssertBytes("", first.GetProperty("body"));
        Assert.False(first.TryGetProperty("more_body", out JsonElement more) && more.GetBoolean());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ALargeBodyComesInHttpRequestMessagesThatAddUpAndEndWithMoreBodyFalse(string name)
    {
        AsgiServer server = servers[name];
        string body = new(Enumerable.Range(0, 3 * 1024 * 1024).Select(i => (char)('a' + i % 26)).ToArray());
        RawHttpResponse response = (await server.SendAsync(server.Request("POST", "/body", body: body))).AssertStatus(200);
        JsonElement result = response.Json();

        Assert.Equal(body.Length, result.GetProperty("length").GetInt32());
        Assert.Equal(body.Sum(c => (int)c) % 65536, result.GetProperty("sum").GetInt32());
        List<JsonElement> messages = result.GetProperty("messages").EnumerateArray().ToList();
        Assert.All(messages, m => Assert.Equal("http.request", m.GetProperty("type").GetString()));
        Assert.All(messages[..^1], m => Assert.True(m.GetProperty("more_body").GetBoolean()));
        Assert.False(messages[^1].GetProperty("more_body").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AChunkedBodyReachesTheAppDeChunked(string name)
    {
        AsgiServer server = servers[name];
        string request = $"POST /body HTTP/1.1\r\nHost: {server.Authority}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        JsonElement result = (await server.SendAsync(request)).AssertStatus(200).Json();

        Assert.Equal(11, result.GetProperty("length").GetInt32());
        Assert.Equal("hello world".Sum(c => (int)c), result.GetProperty("sum").GetInt32());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task StatusAndHeadersGoOutInOrderWithRepeatsAndLatin1Bytes(string name)
    {
        RawHttpResponse response = (await servers[name].GetAsync("/headers")).AssertStatus(201);
        List<KeyValuePair<string, string>> headers = response.Head.Headers.ToList();

        Assert.Equal(["a=1; Path=/", "b=2; Path=/"], headers.Where(h => h.Key.Equals("set-cookie", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));
        Assert.Equal("caf\u00e9", response.Header("x-latin1"));
        string[] order = headers.Select(h => h.Key.ToLowerInvariant()).Where(k => k.StartsWith("x-", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["x-first", "x-latin1", "x-last"], order);
        Assert.Equal("headers", response.BodyText);
    }

    [Theory]
    [InlineData(AsgiServer.PyHost)]
    [InlineData(AsgiServer.Uvicorn)]
    public async Task ATransferEncodingFromTheAppIsIgnoredAndTheResponseIsFramedByTheServer(string name)
    {
        // www.rst "Response Start": "the server must ignore it". hypercorn 0.13 passes it on, announcing a chunked
        // body it does not chunk, and the client cannot read the response.
        await using RawHttpConnection connection = await servers[name].ConnectAsync();
        await connection.SendAsync(servers[name].Request("GET", "/app-transfer-encoding"));
        RawHttpResponse first = await connection.ReadResponseAsync();
        await connection.SendAsync(servers[name].Request("GET", "/app-transfer-encoding"));
        RawHttpResponse second = await connection.ReadResponseAsync();

        Assert.Equal("the server frames this", first.BodyText);
        Assert.Equal("the server frames this", second.BodyText);   // the connection is still in step
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AResponseWithoutContentLengthIsChunkedAndWhole(string name)
    {
        RawHttpResponse response = (await servers[name].GetAsync("/no-length")).AssertStatus(200);

        Assert.True(response.Head.IsChunked, response.ToString());
        Assert.True(response.IsComplete);
        Assert.Equal("part 0;part 1;part 2;", response.BodyText);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task StreamedBodyMessagesReachTheClientOneByOne(string name)
    {
        await using RawHttpConnection connection = await servers[name].ConnectAsync();
        await connection.SendAsync(servers[name].Request("GET", "/stream"));
        await connection.ReadHeadAsync();
        var arrivals = new List<(string Text, TimeSpan At)>();
        var clock = Stopwatch.StartNew();
        while (await connection.ReadChunkAsync() is { Length: > 0 } chunk)
        {
            arrivals.Add((Encoding.ASCII.GetString(chunk), clock.Elapsed));
        }

        Assert.Equal(Enumerable.Range(0, 4).Select(i => $"data: {i}\n\n"), arrivals.Select(a => a.Text));
        // The app sleeps 0.3 s between events: had the server held them back, they would come together.
        Assert.True(arrivals[^1].At - arrivals[0].At >= TimeSpan.FromSeconds(0.6), string.Join(", ", arrivals));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ReceiveAfterTheResponseWasSentGivesHttpDisconnect(string name)
    {
        await servers[name].GetAsync("/after-response");

        JsonElement observed = await EventuallyObservedAsync(name, e => e.GetProperty("event").GetString() == "after-response");
        Assert.Equal("http.disconnect", observed.GetProperty("message").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(AsgiServer.PyHost)]
    [InlineData(AsgiServer.Uvicorn)]
    public async Task AClientThatLeavesIsAnHttpDisconnectAndTheAppsFinallyRuns(string name)
    {
        // hypercorn 0.13 does not notice the client left while the app waits in receive(): it never says.
        string tag = Guid.NewGuid().ToString("N");
        await using (RawHttpConnection connection = await servers[name].ConnectAsync())
        {
            await connection.SendAsync(servers[name].Request("GET", $"/until-disconnect?{tag}"));
            await connection.ReadHeadAsync();
            await connection.ReadChunkAsync();
        }

        JsonElement received = await EventuallyObservedAsync(name, e => e.GetProperty("event").GetString() == "receive-after-client-left" && e.GetProperty("tag").GetString() == tag);
        Assert.Equal("http.disconnect", received.GetProperty("message").GetProperty("type").GetString());
        await EventuallyObservedAsync(name, e => e.GetProperty("event").GetString() == "finally" && e.GetProperty("tag").GetString() == tag);
    }

    [Theory]
    [InlineData(AsgiServer.PyHost)]
    public async Task SendAfterTheClientLeftRaisesAnOSError(string name)
    {
        // www.rst 2.4 "Disconnected Client - send exception". uvicorn 0.17 and hypercorn 0.13 predate it: their
        // send() returns quietly.
        string tag = Guid.NewGuid().ToString("N");
        await using (RawHttpConnection connection = await servers[name].ConnectAsync())
        {
            await connection.SendAsync(servers[name].Request("GET", $"/until-disconnect?{tag}"));
            await connection.ReadHeadAsync();
            await connection.ReadChunkAsync();
        }

        JsonElement sent = await EventuallyObservedAsync(name, e => e.GetProperty("event").GetString() == "send-after-client-left" && e.GetProperty("tag").GetString() == tag);
        Assert.Equal("OSError", sent.GetProperty("raised").GetString());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AnExceptionBeforeTheResponseStartedIsA500AndTheTracebackIsLogged(string name)
    {
        RawHttpResponse response = await servers[name].GetAsync("/error-before-start");

        Assert.Equal(500, response.StatusCode);
        await servers[name].Process.WaitForOutputAsync(new System.Text.RegularExpressions.Regex("conformance: failed before the response started"), TimeSpan.FromSeconds(5), marks[name]);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AnExceptionAfterTheResponseStartedCutsTheResponseShort(string name)
    {
        RawHttpResponse response = await servers[name].GetAsync("/error-after-start");

        Assert.Equal(200, response.StatusCode);
        Assert.False(response.IsComplete, $"a complete response hides the failure from the client: {response}");
        Assert.StartsWith("only part of it", response.BodyText);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AnAppThatReturnsWithoutARresponseGets500(string name)
    {
        Assert.Equal(500, (await servers[name].GetAsync("/no-response")).StatusCode);
    }

    [Theory]
    [InlineData(AsgiServer.PyHost)]
    public async Task RequestsGetAShallowCopyOfTheLifespanState(string name)
    {
        // lifespan.rst "Lifespan State" (2023): uvicorn 0.17 and hypercorn 0.13 predate it, their scopes have no "state".
        JsonElement state = (await servers[name].GetAsync("/state")).AssertStatus(200).Json();

        Assert.Equal("a connection pool", state.GetProperty("opened_at_startup").GetString());
    }

    private async Task<JsonElement> EventuallyObservedAsync(string name, Func<JsonElement, bool> match)
    {
        JsonElement[] observed = [];
        for (int i = 0; i < 100; i++)
        {
            observed = (await servers[name].GetAsync("/observed")).AssertStatus(200).Json().EnumerateArray().ToArray();
            if (observed.FirstOrDefault(match) is { ValueKind: not JsonValueKind.Undefined } found)
            {
                return found;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"{name} never observed it; observed: {string.Join("\n", observed)}");
        throw new InvalidOperationException();
    }

    public void Dispose()
    {
        foreach ((string name, int mark) in marks)
        {
            output.WriteLine($"--- {name} during this test ---\n{servers[name].Process.OutputSince(mark)}");
        }
    }
}

/// <summary>The conformance classes share one set of servers.</summary>
[CollectionDefinition(Name)]
public sealed class AsgiConformanceCollection : ICollectionFixture<ConformanceServers>
{
    public const string Name = "ASGI conformance";
}
