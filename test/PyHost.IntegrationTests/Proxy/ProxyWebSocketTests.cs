using System.Text.Json;
using PyHost.IntegrationTests.Asgi;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// A PyHost balancer's proxy route in front of a pyhost serving apps/asgi_conformance.py, with Debian's
/// python3-websockets (apps/ws_client.py) as the client: the Upgrade passes through, and so do text and binary
/// messages both ways, messages far larger than the route's max_body_size, the app's subprotocol and headers, and the
/// close codes of either side.
/// </summary>
public sealed class ProxyWebSocketTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MessagesAndCloseCodesPassThroughTheBalancerBothWays()
    {
        await using AsgiServer backend = await AsgiServer.StartAsync(AsgiServer.PyHost, "asgi_conformance:app");
        // The body limit is for request bodies: what goes through the tunnel is not one.
        await using var front = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [[site]]
              [[site.route]]
              proxy = "http://127.0.0.1:{{backend.Port}}"
              max_body_size = "1KiB"
            """);
        string Url(string path) => $"ws://127.0.0.1:{front.Ports[0]}{path}";

        try
        {
            JsonElement echo = await WebSocketClient.RunAsync("echo", Url("/ws/echo"));
            Assert.Equal("h\u00e9llo \U0001F600", echo.GetProperty("text").GetString());
            Assert.Equal("00ff802062696e617279", echo.GetProperty("bytes").GetString());   // b"\x00\xff\x80 binary"
            Assert.Equal("", echo.GetProperty("empty").GetString());
            // The app chose the last subprotocol offered and added a header to its accept: both came back through.
            Assert.Equal("second", echo.GetProperty("subprotocol").GetString());
            Assert.Equal("present", echo.GetProperty("accept_header").GetString());

            // 2 MiB one way and 2 MiB the other, in one message each.
            JsonElement large = await WebSocketClient.RunAsync("large", Url("/ws/echo"), (2 << 20).ToString());
            Assert.True(large.GetProperty("echo_equal").GetBoolean(), large.ToString());
            Assert.True(large.GetProperty("sent_is_ab").GetBoolean(), large.ToString());

            // The app closes with its code and reason: the client gets both.
            JsonElement appClose = await WebSocketClient.RunAsync("app-close", Url("/ws/echo"), "4321", "app says bye");
            Assert.Equal(4321, appClose.GetProperty("code").GetInt32());
            Assert.Equal("app says bye", appClose.GetProperty("reason").GetString());

            // The client closes with its code: the app's websocket.disconnect carries it.
            JsonElement clientClose = await WebSocketClient.RunAsync("client-close", Url("/ws/client-bye"), "4100", "client says bye");
            Assert.Equal(4100, clientClose.GetProperty("close_code").GetInt32());
            JsonElement disconnect = await DisconnectSeenAsync(front, "/ws/client-bye");
            Assert.Equal(4100, disconnect.GetProperty("code").GetInt32());
        }
        finally
        {
            output.WriteLine(backend.Process.Describe());
        }
    }

    /// <summary>The websocket.disconnect the app recorded for <paramref name="path"/> (GET /observed, through the
    /// balancer), polled: the close reaches the app after the client has its answer.</summary>
    private static async Task<JsonElement> DisconnectSeenAsync(ConfiguredServer front, string path)
    {
        JsonElement found = default;
        string observed = "";
        bool seen = await Eventually.HoldsAsync(async () =>
        {
            JsonElement events = (await front.RequestAsync("site.test", "/observed")).AssertStatus(200).Json();
            observed = events.ToString();
            found = events.EnumerateArray().FirstOrDefault(e => e.GetProperty("event").GetString() == "websocket.disconnect"
                                                                && e.GetProperty("path").GetString() == path);
            return found.ValueKind != JsonValueKind.Undefined;
        }, TimeSpan.FromSeconds(20));
        Assert.True(seen, $"the app never saw websocket.disconnect for {path}; observed: {observed}");
        return found;
    }
}
