using System.Text.Json;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Api;

/// <summary>GET /status: the workers with their pid, state, current request, elapsed time and memory; the queue; the
/// listeners; and the restarts by reason.</summary>
public sealed class StatusTests(ITestOutputHelper output)
{
    [Fact]
    public async Task StatusListsEveryWorkerWithItsPidStateAndMemory()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2"]);

        JsonElement status = await site.StatusAsync();

        Assert.Equal(site.Process.Id, status.GetProperty("server").GetProperty("pid").GetInt32());
        Assert.Contains(site.Url, status.GetProperty("listeners").EnumerateArray().Select(l => l.GetString()));
        JsonElement app = status.GetProperty("apps")[0];
        Assert.Equal(("main", "observed:app", 2), (app.GetProperty("name").GetString(), app.GetProperty("module").GetString(), app.GetProperty("target_workers").GetInt32()));
        List<JsonElement> workers = app.GetProperty("workers").EnumerateArray().ToList();
        Assert.Equal(Posix.Descendants(site.Process.Id).Order(), workers.Select(w => w.GetProperty("pid").GetInt32()).Order());
        Assert.All(workers, worker =>
        {
            Assert.Equal("idle", worker.GetProperty("state").GetString());
            // What /proc says about the same process, give or take what it allocated in between.
            long rss = worker.GetProperty("memory_rss_bytes").GetInt64();
            long? procKib = Posix.StatusKilobytes(worker.GetProperty("pid").GetInt32(), "VmRSS");
            Assert.InRange(rss, procKib!.Value * 1024 / 2, procKib.Value * 1024 * 2);
        });
        Assert.Equal(0, app.GetProperty("queue").GetProperty("waiting").GetInt32());
        Assert.Empty(status.GetProperty("upstreams").EnumerateArray());
    }

    [Fact]
    public async Task StatusShowsTheRequestABusyWorkerRunsAndForHowLong()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        Task<RawHttpResponse> slow = site.GetAsync("/sleep?seconds=3");
        JsonElement busy = default;
        JsonElement app = default;
        Assert.True(await Until.HoldsAsync(async () =>
        {
            busy = (await site.WorkersAsync())[0];
            return busy.GetProperty("elapsed_seconds") is { ValueKind: JsonValueKind.Number } elapsed && elapsed.GetDouble() > 0.3;
        }, TimeSpan.FromSeconds(10)), $"The worker never ran the slow request: {busy}");
        Task<RawHttpResponse> queued = site.GetAsync("/sleep?seconds=0.1");
        Assert.True(await Until.HoldsAsync(async () =>
        {
            app = (await site.StatusAsync()).GetProperty("apps")[0];
            busy = app.GetProperty("workers")[0];
            // Waiting in the front's queue, or pipelined behind the busy request on the worker's channel.
            JsonElement queue = app.GetProperty("queue");
            return queue.GetProperty("waiting").GetInt32() + queue.GetProperty("pipelined").GetInt32() == 1
                   && busy.GetProperty("elapsed_seconds").GetDouble() > 0.5;
        }, TimeSpan.FromSeconds(10)), $"No busy worker with one request waiting: {app}");

        Assert.Equal("busy", busy.GetProperty("state").GetString());
        Assert.Equal("GET /sleep?seconds=3", busy.GetProperty("current_request").GetString());
        Assert.Equal(1, busy.GetProperty("busy_threads").GetInt32());
        (await slow).AssertStatus(200);
        (await queued).AssertStatus(200);
        JsonElement after = default;
        Assert.True(await Until.HoldsAsync(async () =>
        {
            after = (await site.WorkersAsync())[0];
            return after.GetProperty("state").GetString() == "idle" && after.GetProperty("requests_served").GetInt64() == 2;
        }, TimeSpan.FromSeconds(5)), $"not idle with 2 requests served: {after}");
    }

    [Fact]
    public async Task AWorkerThatDiesIsCountedAsACrashRestartAndListedAmongTheErrors()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);
        int before = (await site.WorkersAsync())[0].GetProperty("id").GetInt32();

        (await site.GetAsync("/crash")).AssertStatus(502);

        JsonElement app = default;
        Assert.True(await Until.HoldsAsync(async () =>
        {
            app = (await site.StatusAsync()).GetProperty("apps")[0];
            return app.GetProperty("restarts").GetProperty("crash").GetInt64() == 1
                   && app.GetProperty("workers").EnumerateArray().Any(w => w.GetProperty("state").GetString() == "idle");
        }, TimeSpan.FromSeconds(10)), app.ToString());
        JsonElement last = app.GetProperty("last_restart");
        Assert.Equal((before, "crash"), (last.GetProperty("worker").GetInt32(), last.GetProperty("reason").GetString()));
        Assert.Equal(0, app.GetProperty("restarts").GetProperty("timeout").GetInt64());
        JsonElement error = (await site.Api.GetJsonAsync("/errors")).Json.GetProperty("errors")[0];
        Assert.Equal("crash", error.GetProperty("kind").GetString());
        Assert.Contains("exited with status 7", error.GetProperty("summary").GetString());
    }
}
