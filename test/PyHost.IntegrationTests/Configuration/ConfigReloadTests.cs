using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Operations;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Configuration;

/// <summary>
/// SIGHUP and `pyhost reload` read the configuration file again: routes, apps, worker counts and listeners change
/// while wrk keeps its connections busy, and no request fails; a file with an error changes nothing.
/// </summary>
[Collection(LoadTestCollection.Name)]
public sealed class ConfigReloadTests(ITestOutputHelper output)
{
    private const string Before = """
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[site]]
          [[site.route]]
          path = "/b"
          app = "b"

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

    // "/" moves from a to b, a gets three workers and a new version, c is new; b keeps its workers.
    private const string After = """
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[site]]
          [[site.route]]
          path = "/a"
          app = "a"

          [[site.route]]
          path = "/c"
          app = "c"

          [[site.route]]
          app = "b"

        [app.a]
        module = "named:app"
        env = { APP_NAME = "a", APP_VERSION = "2" }
        workers = 3

        [app.b]
        module = "named:app"
        env = { APP_NAME = "b" }
        workers = 1

        [app.c]
        module = "named:app"
        env = { APP_NAME = "c" }
        workers = 1
        """;

    [Fact]
    public async Task Routes_apps_and_worker_counts_change_under_load_with_no_failed_request()
    {
        await using var server = await ConfiguredServer.StartAsync(output, Before, 1, "--pid", "site.pid");
        Assert.Equal("a", (await server.AppAsync("any.test", "/")).GetProperty("app").GetString());

        using var stopLoad = new CancellationTokenSource();
        var load = Wrk.RunAsync($"http://127.0.0.1:{server.Ports[0]}/", connections: 16, TimeSpan.FromSeconds(120), stopLoad.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        server.WriteConfig(After);
        var (exit, answer) = await server.ReloadAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        bool stillLoaded = !load.IsCompleted;
        stopLoad.Cancel();
        WrkReport report = await load;

        output.WriteLine($"reload under load: {report.Requests} requests, {report.NonSuccessResponses} not 2xx, socket errors {report.SocketErrors}");
        Assert.True(exit == 0, $"pyhost reload exited with {exit}: {answer}");
        Assert.True(stillLoaded, "wrk finished before the reload did: it was not under load.");
        Assert.True(report.NonSuccessResponses == 0, $"{report.NonSuccessResponses} responses were not 2xx during the reload:\n{report.Text}");
        Assert.True(report.SocketErrors.Total == 0, $"wrk saw socket errors during the reload: {report.SocketErrors}\n{report.Text}");

        Assert.Equal("b", (await server.AppAsync("any.test", "/")).GetProperty("app").GetString());
        Assert.Equal("c", (await server.AppAsync("any.test", "/c/x")).GetProperty("app").GetString());
        JsonElement a = await server.AppAsync("any.test", "/a");
        Assert.Equal("2", a.GetProperty("version").GetString());
        Assert.Equal("/a", a.GetProperty("script_name").GetString());
        var pidsOfA = new HashSet<int>();
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            pidsOfA.Add((await server.AppAsync("any.test", "/a")).GetProperty("pid").GetInt32());
            return pidsOfA.Count == 3;
        }, TimeSpan.FromSeconds(30)), $"app a answered from {pidsOfA.Count} workers, not 3");
    }

    [Fact]
    public async Task A_file_with_an_error_changes_nothing_and_reload_says_where_the_error_is()
    {
        await using var server = await ConfiguredServer.StartAsync(output, Before, 1, "--pid", "site.pid");
        int pidBefore = (await server.AppAsync("any.test", "/")).GetProperty("pid").GetInt32();

        using var stopLoad = new CancellationTokenSource();
        var load = Wrk.RunAsync($"http://127.0.0.1:{server.Ports[0]}/", connections: 8, TimeSpan.FromSeconds(120), stopLoad.Token);
        await Task.Delay(TimeSpan.FromSeconds(1));
        server.WriteConfig(After.Replace("workers = 3", "workers = \"three\""));
        var (exit, answer) = await server.ReloadAsync();
        int mark = server.Process.LineCount;
        Posix.SendSignal(server.Process.Id, Posix.SigHup);
        await server.Process.WaitForOutputAsync(new Regex("the configuration has errors; nothing changed"), TimeSpan.FromSeconds(30), mark);
        stopLoad.Cancel();
        WrkReport report = await load;

        Assert.Equal(1, exit);
        Assert.Matches(@"pyhost\.toml:19:\d+", answer);
        Assert.Contains("nothing changed", answer);
        Assert.Contains("pyhost.toml:19", server.Process.OutputSince(mark));
        Assert.True(report.NonSuccessResponses == 0 && report.SocketErrors.Total == 0, report.Text);
        JsonElement still = await server.AppAsync("any.test", "/");
        Assert.Equal("a", still.GetProperty("app").GetString());
        Assert.Equal(pidBefore, still.GetProperty("pid").GetInt32());
    }

    [Fact]
    public async Task Listeners_come_and_go_and_a_removed_app_stops_its_workers()
    {
        await using var server = await ConfiguredServer.StartAsync(output, Before, 2, "--pid", "site.pid");
        int pidOfB = (await server.AppAsync("any.test", "/b")).GetProperty("pid").GetInt32();

        server.WriteConfig("""
            [[listen]]
            address = "127.0.0.1:{port1}"

            [[site]]
              [[site.route]]
              app = "a"

            [app.a]
            module = "named:app"
            env = { APP_NAME = "a" }
            workers = 1
            """);
        var (exit, answer) = await server.ReloadAsync();

        Assert.True(exit == 0, $"pyhost reload exited with {exit}: {answer}");
        JsonElement onNewPort = await server.AppAsync("any.test", "/b", port: server.Ports[1]);
        Assert.Equal("a", onNewPort.GetProperty("app").GetString());
        Assert.True(await Eventually.HoldsAsync(() => !Ops.Accepts(server.Ports[0]), TimeSpan.FromSeconds(30)),
            $"port {server.Ports[0]} still accepts after its listener left the configuration");
        Assert.True(await Eventually.HoldsAsync(() => !Posix.IsAlive(pidOfB), TimeSpan.FromSeconds(60)),
            $"the worker {pidOfB} of the removed app b is still running");
    }

    [Fact]
    public async Task An_app_that_cannot_start_leaves_the_old_configuration_serving()
    {
        await using var server = await ConfiguredServer.StartAsync(output, Before, 1, "--pid", "site.pid");

        server.WriteConfig(After.Replace("""env = { APP_NAME = "c" }""", """env = { APP_NAME = "c" }""" + "\nchdir = \"/nonexistent-dir\""));
        var (exit, answer) = await server.ReloadAsync();

        Assert.Equal(1, exit);
        Assert.Contains("c", answer);
        Assert.Equal("a", (await server.AppAsync("any.test", "/")).GetProperty("app").GetString());
        Assert.Equal("b", (await server.AppAsync("any.test", "/b")).GetProperty("app").GetString());
    }
}
