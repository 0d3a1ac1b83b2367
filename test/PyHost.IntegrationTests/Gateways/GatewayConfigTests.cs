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

    private const string WithEveryGatewayAndAnAccessLog = """
        [log]
        access_log = "access.log"
        access_format = "combined_site"

        [[listen]]
        address = "127.0.0.1:{port0}"

        [[listen]]
        address = "uwsgi://127.0.0.1:{port1}"

        [[listen]]
        address = "fastcgi://127.0.0.1:{port2}"

        [[listen]]
        address = "scgi://127.0.0.1:{port3}"
        """ + Sites;

    /// <summary>The user the front server authenticated (nginx's $remote_user in uwsgi_params/fastcgi_params, RFC 3875
    /// §4.1.11 REMOTE_USER) is the access line's user, as %(u)s is for an HTTP request's Basic auth; the line names the
    /// site and app that answered.</summary>
    [Fact]
    public async Task AGatewayRequestsAccessLineNamesItsUserSiteAndApp()
    {
        await using var server = await ConfiguredServer.StartAsync(output, WithEveryGatewayAndAnAccessLog, 4);
        KeyValuePair<string, string>[] Request(string target, string host, string? user) =>
        [
            new("REQUEST_METHOD", "GET"), new("REQUEST_URI", target), new("HTTP_HOST", host), new("SERVER_NAME", host),
            new("SERVER_PORT", "80"), new("SERVER_PROTOCOL", "HTTP/1.1"), new("REMOTE_ADDR", "192.0.2.7"),
            .. user is null ? Array.Empty<KeyValuePair<string, string>>() : [new("REMOTE_USER", user)],
        ];

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ExchangeAsync(server.Ports[1], Wire.Uwsgi(Request("/by-uwsgi", "a.example", "alice"))));
        using (var fastCgi = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await fastCgi.ConnectAsync(IPAddress.Loopback, server.Ports[2]);
            await fastCgi.SendAsync(Wire.FastCgiRequest(1, Request("/api/by-fastcgi", "x.example", "bob"), [], keepConnection: false));
            Assert.StartsWith("Status: 200 OK", (await Wire.ReadFastCgiResponseAsync(fastCgi, 1)).Stdout);
        }
        Assert.StartsWith("Status: 200 OK\r\n", await ExchangeAsync(server.Ports[3],
            Wire.Scgi([new("CONTENT_LENGTH", "0"), new("SCGI", "1"), .. Request("/by-scgi", "a.example", "carol")])));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ExchangeAsync(server.Ports[1], Wire.Uwsgi(Request("/anonymous", "a.example", null))));

        string[] lines = await AccessLinesAsync(Path.Combine(server.Directory, "access.log"), 4);
        const string Line = @"^192\.0\.2\.7 - {0} \[[^\]]+\] ""GET {1} HTTP/1\.1"" 200 \d+ ""-"" ""-"" site=""{2}"" app=""{3}""$";
        Assert.Matches(string.Format(Line, "alice", "/by-uwsgi", "a\\.example", "a"), lines.Single(l => l.Contains("/by-uwsgi")));
        Assert.Matches(string.Format(Line, "bob", "/api/by-fastcgi", "default", "b"), lines.Single(l => l.Contains("/by-fastcgi")));
        Assert.Matches(string.Format(Line, "carol", "/by-scgi", "a\\.example", "a"), lines.Single(l => l.Contains("/by-scgi")));
        Assert.Matches(string.Format(Line, "-", "/anonymous", "a\\.example", "a"), lines.Single(l => l.Contains("/anonymous")));
    }

    private static async Task<string> ExchangeAsync(int port, byte[] request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(request);
        return Encoding.Latin1.GetString(await Wire.ReadToEndAsync(socket));
    }

    private static async Task<string[]> AccessLinesAsync(string path, int count)
    {
        string[] lines = [];
        await Infrastructure.Eventually.HoldsAsync(() =>
        {
            lines = File.Exists(path) ? File.ReadAllLines(path) : [];
            return lines.Length >= count;
        }, TimeSpan.FromSeconds(10));
        return lines;
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
