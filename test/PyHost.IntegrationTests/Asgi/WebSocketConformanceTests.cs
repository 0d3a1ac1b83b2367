using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>
/// asgiref specs/www.rst "WebSocket", one test per rule, driven by Debian's python3-websockets as the client against
/// PyHost and, as the reference, uvicorn and hypercorn serving the same app.
/// </summary>
[Collection(AsgiConformanceCollection.Name)]
public sealed class WebSocketConformanceTests(ConformanceServers servers, ITestOutputHelper output) : IDisposable
{
    private readonly Dictionary<string, int> marks = new[] { AsgiServer.PyHost, AsgiServer.Uvicorn, AsgiServer.Hypercorn }
        .ToDictionary(name => name, name => servers[name].Process.LineCount);

    public static IEnumerable<object[]> All => ConformanceServers.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task TheScopeSaysWebsocketWithPathQuerySubprotocolsAndHeaders(string name)
    {
        JsonElement result = await WebSocketClient.RunAsync("scope", servers[name].WebSocketUrl("/ws/scope?q=%20x"));
        JsonElement scope = result.GetProperty("scope");

        Assert.Equal("websocket", scope.GetProperty("type").GetString());
        Assert.Equal("ws", scope.TryGetProperty("scheme", out JsonElement scheme) ? scheme.GetString() : "ws");
        Assert.Equal("/ws/scope", scope.GetProperty("path").GetString());
        Assert.Equal("q=%20x", scope.GetProperty("query_string").GetProperty("b").GetString());
        Assert.Equal(["proto-a", "proto-b"], scope.GetProperty("subprotocols").EnumerateArray().Select(s => s.GetString()));
        List<(string, string)> headers = scope.GetProperty("headers").EnumerateArray()
            .Select(pair => (pair[0].GetProperty("b").GetString()!, pair[1].GetProperty("b").GetString()!)).ToList();
        Assert.Equal(["1", "2"], headers.Where(h => h.Item1 == "x-repeat").Select(h => h.Item2));
        Assert.Equal("websocket.connect", result.GetProperty("connect").GetProperty("type").GetString());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AcceptCarriesTheChosenSubprotocolAndExtraHeadersAndMessagesEchoTextAndBytes(string name)
    {
        JsonElement result = await WebSocketClient.RunAsync("echo", servers[name].WebSocketUrl("/ws/echo"));

        Assert.Equal("second", result.GetProperty("subprotocol").GetString());
        Assert.Equal("present", result.GetProperty("accept_header").GetString());
        Assert.Equal("h\u00e9llo \U0001F600", result.GetProperty("text").GetString());
        Assert.Equal("00ff802062696e617279", result.GetProperty("bytes").GetString());
        Assert.Equal("", result.GetProperty("empty").GetString());
    }

    /// <summary>Not www.rst but RFC 6455 §5.5.3, which the server does for the app: a ping is answered by a pong with
    /// its application data.</summary>
    [Theory]
    [MemberData(nameof(All))]
    public async Task AClientsPingIsAnsweredWithAPongOfTheSameData(string name)
    {
        JsonElement result = await WebSocketClient.RunAsync("client-ping", servers[name].WebSocketUrl("/ws/echo"));

        Assert.Equal("are you there?", result.GetProperty("pong").GetString());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AReceivedMessageHasExactlyOneOfTextAndBytes(string name)
    {
        JsonElement message = await WebSocketClient.RunAsync("describe", servers[name].WebSocketUrl("/ws/echo"));

        Assert.Equal("websocket.receive", message.GetProperty("type").GetString());
        Assert.Equal("describe", message.GetProperty("text").GetString());
        Assert.True(!message.TryGetProperty("bytes", out JsonElement data) || data.ValueKind == JsonValueKind.Null);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AFragmentedMessageReachesTheAppWhole(string name)
    {
        JsonElement result = await WebSocketClient.RunAsync("fragments", servers[name].WebSocketUrl("/ws/echo"));

        Assert.Equal("fragmented \u00e9", result.GetProperty("text").GetString());
        Assert.Equal(140000, result.GetProperty("bytes_length").GetInt32());
        Assert.Equal([1, 2], result.GetProperty("bytes_ends").EnumerateArray().Select(b => b.GetInt32()));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task LargeMessagesGoBothWaysWhole(string name)
    {
        JsonElement result = await WebSocketClient.RunAsync("large", servers[name].WebSocketUrl("/ws/echo"), (5 * 1024 * 1024).ToString());

        Assert.True(result.GetProperty("echo_equal").GetBoolean(), result.ToString());
        Assert.True(result.GetProperty("sent_is_ab").GetBoolean(), result.ToString());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AMessageOverTheLimitClosesWith1009(string name)
    {
        JsonElement result = await WebSocketClient.RunAsync("too-big", servers[name].WebSocketUrl("/ws/echo"), (ConformanceServers.WebSocketMaxSize + 1).ToString());

        Assert.True(result.GetProperty("closed").GetBoolean());
        Assert.Equal(1009, result.GetProperty("code").GetInt32());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task TheAppsCloseCodeAndReasonReachTheClient(string name)
    {
        JsonElement result = await WebSocketClient.RunAsync("app-close", servers[name].WebSocketUrl("/ws/echo"), "4321", "app says bye");

        Assert.Equal(4321, result.GetProperty("code").GetInt32());
        Assert.Equal("app says bye", result.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData(AsgiServer.PyHost)]
    [InlineData(AsgiServer.Uvicorn)]
    public async Task TheClientsCloseCodeReachesTheAppAsWebsocketDisconnect(string name)
    {
        // hypercorn 0.13 tells the app 1006 whatever code the client closed with.
        string path = $"/ws/echo-{Guid.NewGuid():N}";
        await WebSocketClient.RunAsync("client-close", servers[name].WebSocketUrl(path), "4100", "client says bye");

        JsonElement disconnect = await ObservedAsync(name, path);
        Assert.Equal(4100, disconnect.GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData(AsgiServer.PyHost)]
    [InlineData(AsgiServer.Uvicorn)]
    public async Task AClientThatVanishesIsADisconnectWith1006(string name)
    {
        // hypercorn 0.13 never tells the app: its receive() waits on after the TCP connection is gone.
        string path = $"/ws/echo-{Guid.NewGuid():N}";
        await WebSocketClient.RunAsync("vanish", servers[name].WebSocketUrl(path));

        JsonElement disconnect = await ObservedAsync(name, path);
        Assert.Equal(1006, disconnect.GetProperty("code").GetInt32());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ACloseBeforeAcceptRefusesTheHandshakeWith403(string name)
    {
        JsonElement result = await WebSocketClient.RunAsync("refused", servers[name].WebSocketUrl("/ws/deny"));

        Assert.True(result.GetProperty("refused").GetBoolean());
        Assert.Equal(403, result.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData(AsgiServer.PyHost)]
    [InlineData(AsgiServer.Hypercorn)]
    public async Task TheDenialResponseExtensionAnswersWithTheAppsOwnResponse(string name)
    {
        // The websocket.http.response extension; uvicorn 0.17 does not offer it.
        JsonElement result = await WebSocketClient.RunAsync("refused", servers[name].WebSocketUrl("/ws/deny-response"));

        Assert.Equal(418, result.GetProperty("status").GetInt32());
        Assert.Equal("yes", result.GetProperty("headers").GetProperty("x-denied").GetString());
    }

    private async Task<JsonElement> ObservedAsync(string name, string path)
    {
        JsonElement[] observed = [];
        for (int i = 0; i < 100; i++)
        {
            observed = (await servers[name].GetAsync("/observed")).AssertStatus(200).Json().EnumerateArray().ToArray();
            if (observed.FirstOrDefault(e => e.GetProperty("event").GetString() == "websocket.disconnect" && e.GetProperty("path").GetString() == path) is
                { ValueKind: not JsonValueKind.Undefined } found)
            {
                return found;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"{name}: the app never saw websocket.disconnect for {path}; observed:\n{string.Join("\n", observed)}");
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
