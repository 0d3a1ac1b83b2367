using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Api;

/// <summary>
/// The live configuration: GET /config is the running configuration as JSON; PUT /config and PATCH /config/PATH change
/// it through the same reload as SIGHUP (new apps boot first, changed ones reload generation by generation), under load
/// without a failed request; a bad change gets 400 with the key path of each error and changes nothing.
/// </summary>
public sealed class ConfigurationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GetConfigAnswersTheRunningConfigurationAsJson()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2", "--threads", "2"]);

        ApiAnswer answer = await site.Api.GetJsonAsync("/config");

        JsonElement app = answer.Json.GetProperty("app").GetProperty("main");
        Assert.Equal(("observed:app", 2, 2), (app.GetProperty("module").GetString(), app.GetProperty("workers").GetInt32(), app.GetProperty("threads").GetInt32()));
        Assert.Equal($"127.0.0.1:{site.Port}", answer.Json.GetProperty("listen")[0].GetProperty("address").GetString());
        Assert.Equal("info", answer.Json.GetProperty("log").GetProperty("level").GetString());
    }

    [Fact]
    public async Task PatchingAnAppUnderLoadAppliesItWithoutAFailedRequest()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2"]);
        await using var load = Load.Start(site);

        ApiAnswer workers = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/workers", "3");
        ApiAnswer recycled = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/max_requests", "500");
        LoadResult result = await load.StopAsync();

        Assert.True(workers.Status == 200, workers.ToString());
        Assert.True(recycled.Status == 200, recycled.ToString());
        Assert.Equal(3, recycled.Json.GetProperty("app").GetProperty("main").GetProperty("workers").GetInt32());
        Assert.Equal(500, recycled.Json.GetProperty("app").GetProperty("main").GetProperty("max_requests").GetInt32());
        Assert.True(result.Succeeded > 20, $"only {result.Succeeded} requests ran during the changes");
        Assert.True(result.Failed == 0, $"{result.Failed} of {result.Succeeded + result.Failed} requests failed: {result.FirstFailure}");
        Assert.True(await Until.HoldsAsync(async () =>
            (await site.WorkersAsync()).Count(w => w.GetProperty("state").GetString() is "idle" or "busy" && w.GetProperty("generation").GetInt32() >= 1) == 3,
            TimeSpan.FromSeconds(15)), site.Process.Describe());
        Assert.Contains("Reload: ok: configuration reloaded", site.Process.Output);
        Assert.Contains("admin API: PATCH /config/app/main/workers", site.Process.Output);
    }

    [Fact]
    public async Task PutAddsAnAppAndItsRouteWhileTheFirstKeepsServing()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);
        var config = JsonNode.Parse((await site.Api.GetJsonAsync("/config")).Body)!.AsObject();
        JsonObject second = JsonNode.Parse(config["app"]!["main"]!.ToJsonString())!.AsObject();
        config["app"]!.AsObject()["second"] = second;
        config["site"]![0]!["route"]!.AsArray().Insert(0, new JsonObject { ["path"] = "/second", ["app"] = "second" });
        await using var load = Load.Start(site);

        ApiAnswer put = await site.Api.SendAsync(HttpMethod.Put, "/config", config.ToJsonString());
        LoadResult result = await load.StopAsync();

        Assert.True(put.Status == 200, put.ToString());
        Assert.True(result.Failed == 0, $"{result.Failed} requests failed: {result.FirstFailure}");
        JsonElement status = await site.StatusAsync();
        Assert.Equal(["main", "second"], status.GetProperty("apps").EnumerateArray().Select(a => a.GetProperty("name").GetString()).Order());
        int secondPid = status.GetProperty("apps").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "second")
            .GetProperty("workers")[0].GetProperty("pid").GetInt32();
        Assert.Equal(secondPid, (await site.GetAsync("/second/x")).AssertStatus(200).Json().GetProperty("pid").GetInt32());
        Assert.NotEqual(secondPid, (await site.GetAsync("/x")).AssertStatus(200).Json().GetProperty("pid").GetInt32());
        // The app the reload made has its instruments too.
        string metrics = (await site.Api.GetJsonlessAsync("/metrics")).Body;
        Assert.Matches(new Regex(@"pyhost_workers\{[^}]*app=""second""[^}]*state=""idle""[^}]*\} 1"), metrics);
        Assert.Matches(new Regex(@"pyhost_http_requests_total\{[^}]*app=""second""[^}]*route=""/second""[^}]*\} 1"), metrics);
    }

    [Fact]
    public async Task PutTakesTomlAsPyhostTomlIsWritten()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);
        string toml = $"""
            [[listen]]
            address = "127.0.0.1:{site.Port}"

            [app.main]
            module = "{AdminSite.App}"
            chdir = "{site.Directory}"
            python = "{Repository.Python}"
            workers = 2
            """;

        ApiAnswer put = await site.Api.SendAsync(HttpMethod.Put, "/config", toml, "application/toml");

        Assert.True(put.Status == 200, put.ToString());
        Assert.Equal(2, put.Json.GetProperty("app").GetProperty("main").GetProperty("workers").GetInt32());
        (await site.GetAsync("/")).AssertStatus(200);
    }

    public static TheoryData<string, string, string, string, string> BadChanges => new()
    {
        { "PUT", "/config", "{bad", "", "invalid JSON" },
        { "PUT", "/config", "[1]", "", "the configuration is a JSON object" },
        { "PUT", "/config", """{"app": {"main": {"module": "observed:app", "workerz": 2}}}""", "app.main.workerz", "did you mean 'workers'?" },
        { "PATCH", "/config/app/main/workers", "\"four\"", "app.main.workers", "expected a whole number" },
        { "PATCH", "/config/app/main/workers", "four", "app.main.workers", "the new value is not JSON" },
        { "PATCH", "/config/app/shop/workers", "3", "app.shop", "no such key" },
        { "PATCH", "/config/listen/0/backlog", "-5", "listen[0].backlog", "" },
    };

    [Theory]
    [MemberData(nameof(BadChanges))]
    public async Task ABadChangeGets400WithTheKeyPathAndChangesNothing(string method, string path, string body, string errorPath, string message)
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        ApiAnswer answer = await site.Api.SendAsync(new HttpMethod(method), path, body);

        Assert.True(answer.Status == 400, answer.ToString());
        Assert.Equal(errorPath, answer.FirstError.Path);
        Assert.Contains(message, answer.FirstError.Message);
        Assert.Single(await site.WorkersAsync());
        Assert.Equal(1, (await site.Api.GetJsonAsync("/config")).Json.GetProperty("app").GetProperty("main").GetProperty("workers").GetInt32());
        Assert.DoesNotContain("Reload", site.Process.Output);
    }

    [Fact]
    public async Task AChangeWhoseCodeCannotStartIsRefusedAndTheOldWorkersServe()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);
        int before = (await site.WorkersAsync())[0].GetProperty("pid").GetInt32();

        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/module", "\"no_such_module:app\"");

        Assert.True(answer.Status == 422, answer.ToString());
        Assert.Contains("No module named 'no_such_module'", answer.FirstError.Message);
        Assert.Equal(before, (await site.GetAsync("/")).AssertStatus(200).Json().GetProperty("pid").GetInt32());
        Assert.Equal(405, (await site.Api.SendAsync(HttpMethod.Delete, "/config", null)).Status);
    }

    [Fact]
    public async Task PostReloadReadsTheConfigurationAgainAsSighupDoes()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);
        await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/workers", "2");

        // The sources (the flags) say one worker: a reload from them undoes the API's change.
        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Post, "/reload", """{"reason": "the test"}""");

        Assert.True(answer.Status == 200, answer.ToString());
        Assert.StartsWith("ok: configuration reloaded", answer.Json.GetProperty("message").GetString());
        Assert.Equal(1, (await site.Api.GetJsonAsync("/config")).Json.GetProperty("app").GetProperty("main").GetProperty("workers").GetInt32());
    }

    /// <summary>Clients asking for / one request after another, each on a new connection, until stopped (bounded to
    /// 30 s and 20 000 requests), counting answers that are not 200.</summary>
    private sealed class Load : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(30));
        private readonly Task<LoadResult>[] _clients;

        private Load(AdminSite site) => _clients = Enumerable.Range(0, 4).Select(_ => Task.Run(() => RunAsync(site))).ToArray();

        public static Load Start(AdminSite site) => new(site);

        public async Task<LoadResult> StopAsync()
        {
            await Task.Delay(500);   // requests also after the change
            await _stop.CancelAsync();
            LoadResult[] results = await Task.WhenAll(_clients);
            return new LoadResult(results.Sum(r => r.Succeeded), results.Sum(r => r.Failed), results.FirstOrDefault(r => r.FirstFailure is not null)?.FirstFailure);
        }

        private async Task<LoadResult> RunAsync(AdminSite site)
        {
            int succeeded = 0, failed = 0;
            string? first = null;
            while (!_stop.IsCancellationRequested && succeeded + failed < 5000)
            {
                try
                {
                    RawHttpResponse response = await site.GetAsync("/");
                    if (response.Head.StatusCode == 200)
                    {
                        succeeded++;
                        continue;
                    }
                    first ??= $"HTTP {response.Head.StatusCode}";
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException)
                {
                    first ??= ex.Message;
                }
                failed++;
            }
            return new LoadResult(succeeded, failed, first);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_clients);
            _stop.Dispose();
        }
    }

    private sealed record LoadResult(int Succeeded, int Failed, string? FirstFailure);
}
