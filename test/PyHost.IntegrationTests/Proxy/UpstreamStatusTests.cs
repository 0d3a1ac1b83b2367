using System.Net;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// The admin API's GET /status names every upstream of the proxy routes in force with each server's state: a server
/// nobody listens on is down, since when and why (and so says pyhost top); started, it turns healthy; a reload's new
/// upstreams replace the old.
/// </summary>
public sealed class UpstreamStatusTests(ITestOutputHelper output)
{
    private static string Front(string upstream, string servers) => $$"""
        [[listen]]
        address = "127.0.0.1:{port0}"

        [upstream.{{upstream}}]
        servers = [{{servers}}]
        health_check = { path = "/_pyhost/ready", interval = "300ms", timeout = "250ms", healthy_threshold = 1, unhealthy_threshold = 1 }

        [[site]]
          [[site.route]]
          proxy = "{{upstream}}"
        """;

    [Fact]
    public async Task TheStatusNamesADownServerAndWhyThenSeesItComeUpAndFollowsAReload()
    {
        int upPort = PyHostServer.FreePort(IPAddress.Loopback);
        int downPort = PyHostServer.FreePort(IPAddress.Loopback);
        await using ConfiguredServer up = await Pep3333Server.StartBackendAsync(output, $"127.0.0.1:{upPort}");
        string upUrl = $"http://127.0.0.1:{upPort}", downUrl = $"http://127.0.0.1:{downPort}";
        await using var front = await ConfiguredServer.StartAsync(output, Front("back", $"\"{upUrl}\", \"{downUrl}\""), 1, "--pid", "site.pid");
        using var admin = new AdminSocket(Path.Combine(front.Directory, "site.control.sock"));
        DateTimeOffset started = DateTimeOffset.UtcNow;

        JsonElement down = default;
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            down = Server(await admin.StatusAsync(), "back", downUrl);
            return !down.GetProperty("healthy").GetBoolean();
        }, TimeSpan.FromSeconds(15)), $"{downUrl} never reported down: {down}");
        JsonElement status = await admin.StatusAsync();
        output.WriteLine(status.GetProperty("upstreams").ToString());
        JsonElement upstream = status.GetProperty("upstreams")[0];
        Assert.Equal(("back", "round_robin", true), (upstream.GetProperty("name").GetString(), upstream.GetProperty("policy").GetString(), upstream.GetProperty("active_checks").GetBoolean()));
        Assert.Equal("health check /_pyhost/ready failed: connection refused", down.GetProperty("reason").GetString());
        Assert.Equal(down.GetProperty("reason").GetString(), down.GetProperty("last_failure").GetString());
        Assert.InRange(down.GetProperty("since").GetDateTimeOffset(), started.AddSeconds(-5), DateTimeOffset.UtcNow);
        JsonElement healthy = Server(status, "back", upUrl);
        Assert.True(healthy.GetProperty("healthy").GetBoolean(), healthy.ToString());
        Assert.Equal(JsonValueKind.Null, healthy.GetProperty("reason").ValueKind);
        Assert.Equal(0, healthy.GetProperty("in_flight").GetInt32());

        // pyhost top shows the same, one line per server.
        await using (TestProcess top = TestProcess.Start(Repository.PyHostExecutable, ["top", "--control", Path.Combine(front.Directory, "site.control.sock"), "--once"], front.Directory))
        {
            Assert.Equal(0, await top.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            string shown = System.Text.RegularExpressions.Regex.Replace(top.Output, @"\s+", " ");
            Assert.Contains("upstream back round_robin", shown);
            Assert.Contains($"{upUrl} up, 0 in flight", shown);
            Assert.Contains($"{downUrl} DOWN since ", shown);
            Assert.Contains("health check /_pyhost/ready failed: connection refused", shown);
        }

        // Requests go to the healthy one only; the down one is passed over, not tried.
        for (int i = 0; i < 4; i++)
        {
            (await front.RequestAsync("site.test", "/echo")).AssertStatus(200);
        }
        Assert.Equal(0, Server(await admin.StatusAsync(), "back", downUrl).GetProperty("failed_requests").GetInt32());

        // Something listens there now: the next check passes, and the server is up since then, its last failure kept.
        await using ConfiguredServer late = await Pep3333Server.StartBackendAsync(output, $"127.0.0.1:{downPort}");
        DateTimeOffset lateStarted = DateTimeOffset.UtcNow;
        JsonElement back = default;
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            back = Server(await admin.StatusAsync(), "back", downUrl);
            return back.GetProperty("healthy").GetBoolean();
        }, TimeSpan.FromSeconds(15)), $"{downUrl} never came up: {back}");
        Assert.Equal(JsonValueKind.Null, back.GetProperty("reason").ValueKind);
        Assert.Equal("health check /_pyhost/ready failed: connection refused", back.GetProperty("last_failure").GetString());
        Assert.True(back.GetProperty("since").GetDateTimeOffset() >= lateStarted.AddSeconds(-1), back.ToString());
        Assert.Contains($"Upstream back: server {downUrl} is up again after 1 passed health check", front.Process.Output);

        // A reload with another upstream: the status shows the configuration now in force, not the one it replaced.
        front.WriteConfig(Front("other", $"\"{downUrl}\""));
        var (exit, said) = await front.ReloadAsync();
        Assert.True(exit == 0, said);
        JsonElement after = default;
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            after = (await admin.StatusAsync()).GetProperty("upstreams");
            return after.GetArrayLength() == 1 && after[0].GetProperty("name").GetString() == "other";
        }, TimeSpan.FromSeconds(10)), $"the reload's upstreams are not in the status: {after}");
        Assert.Equal(downUrl, after[0].GetProperty("servers")[0].GetProperty("address").GetString());
    }

    [Fact]
    public async Task AServerThatIsDownStaysDownAcrossAReloadThatKeepsIt()
    {
        int upPort = PyHostServer.FreePort(IPAddress.Loopback);
        int downPort = PyHostServer.FreePort(IPAddress.Loopback);
        await using ConfiguredServer up = await Pep3333Server.StartBackendAsync(output, $"127.0.0.1:{upPort}");
        string upUrl = $"http://127.0.0.1:{upPort}", downUrl = $"http://127.0.0.1:{downPort}";
        string servers = $"\"{upUrl}\", \"{downUrl}\"";
        await using var front = await ConfiguredServer.StartAsync(output, Front("back", servers), 1, "--pid", "site.pid");
        using var admin = new AdminSocket(Path.Combine(front.Directory, "site.control.sock"));
        JsonElement down = default;
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            down = Server(await admin.StatusAsync(), "back", downUrl);
            return !down.GetProperty("healthy").GetBoolean();
        }, TimeSpan.FromSeconds(15)), $"{downUrl} never reported down: {down}");

        // The same upstream, now with a second route to it: a new set of upstreams, the same servers.
        front.WriteConfig(Front("back", servers) + """

              [[site.route]]
              path = "/other"
              proxy = "back"
            """);
        var (exit, said) = await front.ReloadAsync();
        Assert.True(exit == 0, said);

        // Down since the same moment, for the same reason: not trusted afresh until its first check fails again.
        JsonElement after = Server(await admin.StatusAsync(), "back", downUrl);
        Assert.False(after.GetProperty("healthy").GetBoolean(), after.ToString());
        Assert.Equal(down.GetProperty("since").GetDateTimeOffset(), after.GetProperty("since").GetDateTimeOffset());
        Assert.Equal(down.GetProperty("reason").GetString(), after.GetProperty("reason").GetString());
        Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(front.Process.Output, $"server {System.Text.RegularExpressions.Regex.Escape(downUrl)} is down"));
    }

    private static JsonElement Server(JsonElement status, string upstream, string address) =>
        status.GetProperty("upstreams").EnumerateArray().Single(u => u.GetProperty("name").GetString() == upstream)
            .GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("address").GetString() == address);
}
