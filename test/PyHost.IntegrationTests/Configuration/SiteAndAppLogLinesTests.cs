using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Configuration;

/// <summary>
/// Two sites, each routed to its own app, from one pyhost.toml: the access log (combined_site) says which site and app
/// answered each request, and the error log's lines about one request or one app name them — a 500's traceback, the
/// app's stderr, a worker's death, a timeout with the hung worker's stack; a 500 through a uwsgi listener and an ASGI app's too.
/// </summary>
public sealed class SiteAndAppLogLinesTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LogDeadline = TimeSpan.FromSeconds(15);

    private static string Toml => $$"""
        [log]
        access_log = "access.log"
        access_format = "combined_site"

        [[listen]]
        address = "127.0.0.1:{port0}"

        [[listen]]
        address = "uwsgi://127.0.0.1:{port1}"

        [[site]]
        name = "shop"
        hosts = ["shop.test"]

          [[site.route]]
          app = "store"

        [[site]]
        name = "blog"
        hosts = ["blog.test"]

          [[site.route]]
          app = "journal"

        [[site]]
        name = "feeds"
        hosts = ["feeds.test"]

          [[site.route]]
          app = "feed"

        [app.store]
        module = "operations:app"
        chdir = "{{Repository.AppsDirectory}}"
        python = "{{Repository.Python}}"
        workers = 1

        [app.journal]
        module = "operations:app"
        chdir = "{{Repository.AppsDirectory}}"
        python = "{{Repository.Python}}"
        workers = 1
        timeout = 2

        [app.feed]
        module = "asgi_features:app"
        chdir = "{{Repository.AppsDirectory}}"
        python = "{{Repository.Python}}"
        interface = "asgi"
        workers = 1
        """;

    [Fact]
    public async Task AccessAndErrorLinesNameTheSiteAndTheApp()
    {
        await using ConfiguredServer server = await ConfiguredServer.StartAsync(output, Toml, ports: 2);
        string accessLog = Path.Combine(server.Directory, "access.log");

        (await server.RequestAsync("shop.test", "/?marker=s1")).AssertStatus(200);
        (await server.RequestAsync("blog.test", "/?marker=b1")).AssertStatus(200);
        (await server.RequestAsync("nobody.test", "/?marker=n1")).AssertStatus(421);

        // The combined line, unchanged, then the site and app: a combined-log parser reads the line's start as before.
        const string Combined = @"^127\.0\.0\.1 - - \[[^\]]+\] ""GET /\?marker={0} HTTP/1\.1"" {1} \d+ ""-"" ""-""";
        Assert.Matches(string.Format(Combined, "s1", 200) + @" site=""shop"" app=""store""$", await AccessLineAsync(accessLog, "marker=s1"));
        Assert.Matches(string.Format(Combined, "b1", 200) + @" site=""blog"" app=""journal""$", await AccessLineAsync(accessLog, "marker=b1"));
        Assert.Matches(string.Format(Combined, "n1", 421) + @" site=""-"" app=""-""$", await AccessLineAsync(accessLog, "marker=n1"));

        // A 500's traceback: the worker's name says the app, its first line the site.
        (await server.RequestAsync("blog.test", "/error?marker=E500")).AssertStatus(500);
        await server.Process.WaitForOutputAsync(
            new Regex(@"\[ERROR\] \[journal worker \d+ \(pid \d+\)\] Error handling request GET /error\?marker=E500 \(site blog\)$"), LogDeadline);
        await server.Process.WaitForOutputAsync(new Regex(@"\[ERROR\] \[journal worker \d+ \(pid \d+\)\] RuntimeError: deliberate failure E500$"), LogDeadline);

        // An ASGI app's traceback, which its worker sends as a LOG frame.
        (await server.RequestAsync("feeds.test", "/error?marker=A500")).AssertStatus(500);
        await server.Process.WaitForOutputAsync(
            new Regex(@"\[ERROR\] \[feed worker \d+ \(pid \d+\)\] Exception in ASGI application handling GET /error\?marker=A500 \(site feeds\)$"), LogDeadline);
        Assert.Matches(@" 500 \d+ ""-"" ""-"" site=""feeds"" app=""feed""$", await AccessLineAsync(accessLog, "marker=A500"));

        // The same through a uwsgi listener: the route table chose the site there too.
        using (var uwsgi = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            await uwsgi.ConnectAsync(System.Net.IPAddress.Loopback, server.Ports[1]);
            await uwsgi.SendAsync(Gateways.Wire.Uwsgi([new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/error?marker=G500"),
                new("HTTP_HOST", "blog.test"), new("SERVER_NAME", "blog.test"), new("SERVER_PORT", "80"), new("SERVER_PROTOCOL", "HTTP/1.1")]));
            Assert.StartsWith("HTTP/1.1 500 ", System.Text.Encoding.Latin1.GetString(await Gateways.Wire.ReadToEndAsync(uwsgi)));
        }
        await server.Process.WaitForOutputAsync(
            new Regex(@"\[ERROR\] \[journal worker \d+ \(pid \d+\)\] Error handling request GET /error\?marker=G500 \(site blog\)$"), LogDeadline);

        // The app's own stderr.
        (await server.RequestAsync("shop.test", "/stderr?marker=Eshop")).AssertStatus(200);
        await server.Process.WaitForOutputAsync(new Regex(@"\[ERROR\] \[store worker \d+ \(pid \d+\)\] app-stderr-Eshop$"), LogDeadline);

        // A worker's death.
        (await server.RequestAsync("shop.test", "/crash")).AssertStatus(502);
        await server.Process.WaitForOutputAsync(new Regex(@"\[ERROR\] store worker \d+ \(pid \d+\) died: it exited with status 1 while serving"), LogDeadline);

        // A timeout: the arbiter's line, the front's line about the request, and the hung worker's stack.
        int beforeTimeout = server.Process.LineCount;
        (await server.RequestAsync("blog.test", "/sleep?seconds=30")).AssertStatus(504);
        Match timedOut = await server.Process.WaitForOutputAsync(new Regex(
            @"\[ERROR\] journal worker \d+ \(pid (?<pid>\d+)\) timed out after \d+\.\d s handling GET /sleep\?seconds=30 \(site blog, app journal\)"),
            LogDeadline, beforeTimeout);
        await server.Process.WaitForOutputAsync(
            new Regex(@"\[ERROR\] GET /sleep\?seconds=30 \(site blog, app journal\) ran past --timeout: the client got a 504 page"), LogDeadline, beforeTimeout);
        await server.Process.WaitForOutputAsync(new Regex(
            $@"\[ERROR\] \[journal worker \d+ \(pid {timedOut.Groups["pid"].Value}\)\] +File "".*operations\.py"", line \d+ in app"), LogDeadline, beforeTimeout);

        // What is one app's and not the other's never carries the other's name.
        Assert.DoesNotMatch(new Regex(@"store worker \d+ \(pid \d+\)\] (Error handling|RuntimeError)"), server.Process.Output);
        Assert.DoesNotMatch(new Regex(@"journal worker \d+ \(pid \d+\)\] app-stderr-Eshop"), server.Process.Output);
    }

    private static async Task<string> AccessLineAsync(string accessLog, string marker)
    {
        string? line = null;
        Assert.True(await Eventually.HoldsAsync(() =>
        {
            line = File.Exists(accessLog) ? File.ReadAllLines(accessLog).FirstOrDefault(l => l.Contains(marker)) : null;
            return line is not null;
        }, TimeSpan.FromSeconds(10)), $"no access log line with {marker} in {accessLog}");
        return line!;
    }
}
