using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>Supervision works for ASGI workers as for WSGI ones: reloads drop nothing, workers recycle by request count
/// and by memory, --preload forks them (each with its own event loop and lifespan), --reload follows the code.</summary>
public sealed class AsgiSupervisionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AReloadUnderLoadDropsNoRequestAndTheNewCodeTakesOver()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "2", "--graceful-timeout", "10"]);
        var statuses = new ConcurrentBag<int>();
        var generations = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        Task[] load = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                RawHttpResponse response = await site.Server.GetAsync("/slow?0.05");
                statuses.Add(response.StatusCode);
                if (response.StatusCode == 200)
                {
                    generations.Add((await site.GetJsonAsync("/hello")).GetProperty("generation").GetString()!);
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(1));
        site.WriteGeneration("2");
        Posix.SendSignal(site.Process.Id, Supervision.Signals.SigHup);
        await site.Process.WaitForOutputAsync(new Regex(@"Reloaded: 2 workers of generation 1"), TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        stop.Cancel();
        await Task.WhenAll(load);

        Assert.NotEmpty(statuses);
        Assert.All(statuses, status => Assert.Equal(200, status));
        Assert.Contains("1", generations);
        Assert.Equal("2", (await site.GetJsonAsync("/hello")).GetProperty("generation").GetString());
    }

    [Fact]
    public async Task MaxRequestsRecyclesAnAsgiWorkerWithoutAFailedRequest()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--max-requests", "10"]);
        int first = (await site.GetJsonAsync("/hello")).GetProperty("pid").GetInt32();

        // The successor boots first and the old worker leaves once it is ready: keep asking (every answer a 200).
        var pids = new HashSet<int> { first };
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); pids.Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(20);)
        {
            pids.Add((await site.GetJsonAsync("/hello")).GetProperty("pid").GetInt32());
            await Task.Delay(50);
        }

        Assert.True(pids.Count >= 2, $"one worker kept serving with --max-requests 10: {string.Join(", ", pids)}");
        Assert.Matches(new Regex(@"Recycling worker 1 \(pid \d+\): it served \d+ requests \(--max-requests\)"), site.Process.Output);
    }

    [Fact]
    public async Task AWorkerOverItsMemoryLimitRetiresAfterItsRequest()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--max-worker-memory", "80"]);

        JsonElement hog = await site.GetJsonAsync("/memory?120");
        int hogPid = hog.GetProperty("pid").GetInt32();

        await site.Process.WaitForOutputAsync(new Regex(@"over --max-worker-memory 80 MiB"), TimeSpan.FromSeconds(20));
        Assert.True(await Eventually.HoldsAsync(() => !Posix.IsAlive(hogPid), TimeSpan.FromSeconds(20)), "the worker over its limit still runs");
        Assert.NotEqual(hogPid, (await site.GetJsonAsync("/hello")).GetProperty("pid").GetInt32());
    }

    [Fact]
    public async Task PreloadForksAsgiWorkersThatEachRunTheirOwnLoop()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "2", "--preload"]);

        var pids = new HashSet<int>();
        for (int i = 0; i < 20 && pids.Count < 2; i++)
        {
            pids.Add((await site.GetJsonAsync("/hello")).GetProperty("pid").GetInt32());
        }
        JsonElement echo = await WebSocketClient.RunAsync("greeting", site.WebSocketUrl("/ws/greet"));

        Assert.Equal(2, pids.Count);
        Assert.Matches(new Regex(@"Booted zygote 1 \(pid \d+\) in \d+ ms \(Python 3\.\d+\.\d+, ASGI\)"), site.Process.Output);
        Assert.Matches(new Regex(@"Booted worker 2 \(pid \d+\) in \d+ ms \(Python 3\.\d+\.\d+, ASGI on \w+\)"), site.Process.Output);
        Assert.StartsWith("generation 1", echo.GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task DevelopmentReloadFollowsAnEditOfTheAppsCode()
    {
        string directory = Directory.CreateTempSubdirectory("pyhost-asgi-dev-").FullName;
        try
        {
            string module = Path.Combine(directory, "devapp.py");
            await File.WriteAllTextAsync(module, DevApp("first"));
            await using PyHostServer server = await PyHostServer.StartAsync("devapp:app", ["--chdir", directory, "-w", "1", "--reload"]);
            Assert.Equal("first", (await server.GetAsync("/")).AssertStatus(200).BodyText);
            int mark = server.Process.LineCount;

            await File.WriteAllTextAsync(module, DevApp("second"));

            await server.Process.WaitForOutputAsync(new Regex(@"Reloaded: 1 workers of generation 1"), TimeSpan.FromSeconds(30), mark);
            Assert.Equal("second", (await server.GetAsync("/")).AssertStatus(200).BodyText);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string DevApp(string answer) => $$"""
        async def app(scope, receive, send):
            if scope["type"] != "http":
                return
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{{answer}}"})
        """;
}
