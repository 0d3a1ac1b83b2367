using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>
/// Gateway listeners declared in pyhost.toml (<c>[[listen]] address = "uwsgi://…"</c>): their requests take the same
/// sites and routes as HTTP's (the front server's host and path), and a reload adds and removes them as it does HTTP
/// listeners.
/// </summary>
public sealed class GatewayConfigTests(ITestOutputHelper output)
{
    private const string Sites = """

        [[site]]
        hosts = ["a.example"]
          [[site.route]]
          app = "a"

        [[site]]
          [[site.route]]
          path = "/api"
          app = "b"

          [[site.route]]
          path = "/hello"
          respond = { status = 200, headers = { Content-Type = "text/plain" }, body = "hello from the route\n" }

          [[site.route]]
          app = "a"

        [app.a]
        module = "named:app"
        env = { APP_NAME = "a" }
        workers = 1

        [app.b]
        module = "named:app"
        env = { APP_NAME = "b" }
        workers = 1
        """;

    private const string WithUwsgi = """
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[listen]]
        address = "uwsgi://127.0.0.1:{port1}"
        """ + Sites;

    private const string WithFastCgi = """
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[listen]]
        address = "fastcgi://127.0.0.1:{port2}"
        """ + Sites;

    [Fact]
    public async Task AGatewayRequestTakesTheSiteAndRouteOfItsHostAndPath()
    {
        await using var server = await ConfiguredServer.StartAsync(output, WithUwsgi, 3);
        int uwsgi = server.Ports[1];

        JsonElement byHost = Json(await UwsgiAsync(uwsgi, "a.example", "/api/x"));
        JsonElement mounted = Json(await UwsgiAsync(uwsgi, "other.example", "/api/x?q=1"));
        string fixedAnswer = await UwsgiAsync(uwsgi, "other.example", "/hello");

        Assert.Equal("a", byHost.GetProperty("app").GetString());
        Assert.Equal("", byHost.GetProperty("script_name").GetString());
        Assert.Equal("b", mounted.GetProperty("app").GetString());
        Assert.Equal("/api", mounted.GetProperty("script_name").GetString());
        Assert.Equal("/x", mounted.GetProperty("path_info").GetString());
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", fixedAnswer);
        Assert.EndsWith("\r\n\r\nhello from the route\n", fixedAnswer);
    }

    [Fact]
    public async Task AReloadReplacesAUwsgiListenerWithAFastCgiOne()
    {
        await using var server = await ConfiguredServer.StartAsync(output, WithUwsgi, 3, "--pid", "site.pid");
        Assert.Equal("b", Json(await UwsgiAsync(server.Ports[1], "x.example", "/api/")).GetProperty("app").GetString());

        server.WriteConfig(WithFastCgi);
        (int exit, string said) = await server.ReloadAsync();

        Assert.True(exit == 0, said);
        using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var error = await Assert.ThrowsAsync<SocketException>(async () => await refused.ConnectAsync(IPAddress.Loopback, server.Ports[1]));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        using var fastCgi = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await fastCgi.ConnectAsync(IPAddress.Loopback, server.Ports[2]);
        await fastCgi.SendAsync(Wire.FastCgiRequest(1,
            [new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/api/y"), new("HTTP_HOST", "x.example"), new("SERVER_NAME", "x.example")], [], keepConnection: false));
        var response = await Wire.ReadFastCgiResponseAsync(fastCgi, 1);
        Assert.StartsWith("Status: 200 OK", response.Stdout);
        Assert.Contains("\"app\": \"b\"", response.Stdout);
        Assert.Contains("Listening on fastcgi://127.0.0.1:" + server.Ports[2], server.Process.Output);
    }

    private static async Task<string> UwsgiAsync(int port, string host, string target)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Wire.Uwsgi([new("REQUEST_METHOD", "GET"), new("REQUEST_URI", target), new("HTTP_HOST", host),
            new("SERVER_NAME", host), new("SERVER_PORT", "80"), new("SERVER_PROTOCOL", "HTTP/1.1")]));
        return Encoding.Latin1.GetString(await Wire.ReadToEndAsync(socket));
    }

    private static JsonElement Json(string response)
    {
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        return JsonDocument.Parse(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).RootElement;
    }
}
