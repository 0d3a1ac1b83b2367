using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>What PyHost gives an ASGI app beyond the core spec: interface selection, back-pressure, the pathsend and
/// trailers extensions, and the front's own features (access log, static files) working for ASGI apps too.</summary>
public sealed class AsgiFeatureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AutoDetectsTheAsgiAppAndTheBootLogSaysWhichInterfaceAndLoop()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--loop", "asyncio"]);

        Assert.Matches(new Regex(@"Booted worker 1 \(pid \d+\) in \d+ ms \(Python 3\.\d+\.\d+, ASGI on asyncio\)"), site.Process.Output);
    }

    [Fact]
    public async Task AWsgiAppStillBootsAsWsgi()
    {
        await using PyHostServer server = await PyHostServer.StartAsync("pep3333:app", ["--chdir", Repository.AppsDirectory, "-w", "1"]);

        Assert.Matches(new Regex(@"Booted worker 1 \(pid \d+\) in \d+ ms \(Python 3\.\d+\.\d+, WSGI\)"), server.Process.Output);
    }

    [Theory]
    [InlineData("--interface", "asgi4", "pyhost: flag --interface: error: app.main.interface: \"asgi4\" is not one of \"auto\", \"wsgi\", \"asgi\"")]
    [InlineData("--lifespan", "maybe", "pyhost: flag --lifespan: error: app.main.lifespan: \"maybe\" is not one of \"auto\", \"on\", \"off\"")]
    [InlineData("--loop", "trio", "pyhost: flag --loop: error: app.main.loop: \"trio\" is not one of \"auto\", \"asyncio\", \"uvloop\"")]
    [InlineData("--worker-connections", "0", "pyhost: flag --worker-connections: error: app.main.worker_connections: 0 is out of range")]
    [InlineData("--ws-max-size", "lots", "pyhost: flag --ws-max-size: error: app.main.websocket_max_size: \"lots\": a size is")]
    [InlineData("--ws-per-message-deflate", "maybe", "pyhost: flag --ws-per-message-deflate: error: app.main.websocket_per_message_deflate")]
    public async Task ABadAsgiFlagExitsWith2AndSaysWhy(string flag, string value, string message)
    {
        await using TestProcess process = TestProcess.Start(["serve", "asgi_features:app", flag, value]);

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains(message, process.Output);
        Assert.DoesNotContain("   at ", process.Output);
    }

    [Fact]
    public async Task LifespanOnWithAnAppThatCannotStartStopsTheBootWithExit4()
    {
        await using TestProcess process = TestProcess.Start(["serve", "asgi_conformance:app", "--python", Repository.Python, "-b", "127.0.0.1:0",
            "--lifespan", "on", "-e", "CONFORMANCE_STARTUP=fail", "--chdir", Repository.AppsDirectory]);

        Assert.Equal(4, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("conformance startup failed on purpose", process.Output);
        Assert.Contains("hint:", process.Output);
    }

    [Fact]
    public async Task WorkerConnectionsCapsTheRequestsAWorkerRunsAtOnceAndTheOthersWaitForASlot()
    {
        // Two slots, five requests of 1.5 s each: two run at a time; the others wait in the pool's queue (no 503) and
        // begin as slots free, the third at least 1.5 s after the first, the fifth at least 3 s after it (the worker's clock).
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--worker-connections", "2"]);

        RawHttpResponse[] answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => site.Server.GetAsync("/concurrent?1.5")));

        Assert.All(answers, answer => answer.AssertStatus(200));
        JsonElement[] results = answers.Select(answer => answer.Json()).ToArray();
        Assert.Equal(2, results.Max(result => result.GetProperty("peak").GetInt32()));
        double[] started = results.Select(result => result.GetProperty("started").GetDouble()).Order().ToArray();
        Assert.InRange(started[2] - started[0], 1.4, 60);
        Assert.InRange(started[4] - started[0], 2.8, 60);
    }

    [Fact]
    public async Task SendWaitsForAClientThatDoesNotReadSoTheWorkerNeverBuffersTheStream()
    {
        // Without the front's response buffering (a route key), credit comes only as the client reads: send() waits.
        string siteFile = Path.Combine(Path.GetTempPath(), $"pyhost-unbuffered-{Guid.NewGuid():N}.toml");
        await File.WriteAllTextAsync(siteFile, "[[site]]\n[[site.route]]\npath = \"/\"\napp = \"main\"\nresponse_buffering = false\n");
        using var removeSiteFile = new TemporaryFile(siteFile);
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "-c", siteFile]);
        const long total = 256L * 1024 * 1024;
        string tag = Guid.NewGuid().ToString("N");
        await using RawHttpConnection reader = await site.Server.ConnectAsync();
        await reader.SendAsync(site.Server.Request("GET", $"/flood?{tag},{total}"));
        await reader.ReadHeadAsync();

        await Task.Delay(TimeSpan.FromSeconds(2));
        long sentWhileNotReading = (await site.GetJsonAsync($"/sent?{tag}")).GetInt64();
        await Task.Delay(TimeSpan.FromSeconds(1));
        long sentLater = (await site.GetJsonAsync($"/sent?{tag}")).GetInt64();

        // The credit window (1 MiB), Kestrel's pipe and the kernel's socket buffers: a few MiB, not the whole stream.
        Assert.InRange(sentWhileNotReading, 1, 32L * 1024 * 1024);
        Assert.Equal(sentWhileNotReading, sentLater);
        long read = 0;
        while (read < 64L * 1024 * 1024 && await reader.ReadChunkAsync() is { Length: > 0 } chunk)
        {
            read += chunk.Length;
        }
        Assert.True((await site.GetJsonAsync($"/sent?{tag}")).GetInt64() > sentLater, "reading let the app go on");
    }

    [Fact]
    public async Task ReceivePullsTheBodySoAnUploadWaitsForTheAppAndTheWorkerNeverBuffersIt()
    {
        // Without the front's request buffering the body streams to the app as receive() asks for it: while the app
        // reads nothing, the upload stalls once the socket buffers and Kestrel's pipe are full, and none of it is in
        // the worker's memory.
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--no-request-buffering"]);
        (await site.Server.GetAsync("/hello")).AssertStatus(200);
        int worker = Assert.Single(site.Workers);
        long workerPeakBefore = Posix.StatusKilobytes(worker, "VmHWM") ?? 0;
        const long total = 64L * 1024 * 1024;
        string tag = Guid.NewGuid().ToString("N");
        await using RawHttpConnection upload = await site.Server.ConnectAsync();
        upload.Timeout = TimeSpan.FromMinutes(2);
        await upload.SendAsync($"POST /hold-body?{tag} HTTP/1.1\r\nHost: {site.Server.Authority}\r\nContent-Length: {total}\r\n\r\n");
        long sent = 0;
        Task sending = Task.Run(async () =>
        {
            byte[] chunk = new byte[64 * 1024];
            while (Interlocked.Read(ref sent) < total)
            {
                await upload.SendAsync(chunk);
                Interlocked.Add(ref sent, chunk.Length);
            }
        });

        long sentWhileTheAppDoesNotRead = await ValueOnceStillAsync(() => Interlocked.Read(ref sent), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60));
        long workerPeakWhileStalled = Posix.StatusKilobytes(worker, "VmHWM") ?? 0;
        (await site.Server.GetAsync($"/release?{tag}")).AssertStatus(200);
        await sending;
        RawHttpResponse response = await upload.ReadResponseAsync();
        long workerPeakAfter = Posix.StatusKilobytes(worker, "VmHWM") ?? 0;
        output.WriteLine($"sent while the app did not read: {sentWhileTheAppDoesNotRead / 1024} KiB of {total / 1024}; worker peak RSS "
                         + $"{workerPeakBefore} KiB before, {workerPeakWhileStalled} KiB stalled, {workerPeakAfter} KiB after");

        // Socket buffers and Kestrel's 1 MiB pipe: a few MiB, not the body.
        Assert.InRange(sentWhileTheAppDoesNotRead, 1, 32L * 1024 * 1024);
        Assert.Equal(total, response.AssertStatus(200).Json().GetProperty("received").GetInt64());
        // The worker's peak RSS grows by a few body frames (1 MiB each), while stalled and while reading, never by the body.
        Assert.InRange(workerPeakWhileStalled - workerPeakBefore, 0, 16 * 1024);
        Assert.InRange(workerPeakAfter - workerPeakBefore, 0, 16 * 1024);
    }

    /// <summary>The counter's value once it has not moved for <paramref name="still"/> (or when
    /// <paramref name="timeout"/> has passed).</summary>
    private static async Task<long> ValueOnceStillAsync(Func<long> counter, TimeSpan still, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long value = counter();
        TimeSpan moved = clock.Elapsed;
        while (clock.Elapsed - moved < still && clock.Elapsed < timeout)
        {
            await Task.Delay(100);
            if (counter() is var now && now != value)
            {
                value = now;
                moved = clock.Elapsed;
            }
        }
        return value;
    }

    [Fact]
    public async Task PathsendSendsTheFileFromTheFront()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);
        byte[] content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        string file = Path.Combine(site.Directory, "payload.bin");
        await File.WriteAllBytesAsync(file, content);

        RawHttpResponse response = await site.Server.GetAsync($"/file?{file}");

        response.AssertStatus(200);
        Assert.Equal(content.Length, response.Head.ContentLength);
        Assert.Equal(content, response.Body);
        Assert.Contains("http.response.pathsend", (await site.GetJsonAsync("/extensions")).EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task PathsendOfAFileTheFrontCannotOpenIsA500WithTheReasonLogged()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);
        int mark = site.Process.LineCount;
        string missing = Path.Combine(site.Directory, "not-there.bin");

        RawHttpResponse response = await site.Server.GetAsync($"/file-unchecked?{missing}");

        Assert.Equal(500, response.StatusCode);
        await site.Process.WaitForOutputAsync(new Regex($@"GET /file-unchecked\?{Regex.Escape(missing)}: pathsend cannot open {Regex.Escape(missing)}"), TimeSpan.FromSeconds(5), mark);
        (await site.Server.GetAsync("/hello")).AssertStatus(200);
    }

    [Fact]
    public async Task PathsendIsA500EvenWhenTheFileFrameArrivesAfterTheStartAndUnderConcurrency()
    {
        // The front must not send the head of an ASGI response before it knows what follows it: here RESPONSE_FILE
        // (a 100 kB name) is larger than the front's 64 KiB read buffer, so RESPONSE_START is always handled one read
        // before it; a front that commits the head on RESPONSE_START sends a 200 and then cuts the connection.
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);
        var statuses = new List<int>();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            statuses.Add(await StatusOrCutAsync(site.Server, "/file-long-name?100000"));
        }
        // And the race between a request's first look at its response and the receive loop, many at once.
        string missing = Path.Combine(site.Directory, "not-there.bin");
        for (int round = 0; round < 10; round++)
        {
            statuses.AddRange(await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => StatusOrCutAsync(site.Server, $"/file-unchecked?{missing}"))));
        }

        Assert.All(statuses, status => Assert.Equal(500, status));
        (await site.Server.GetAsync("/hello")).AssertStatus(200);
    }

    /// <summary>The response's status, or -1 when it was cut before it was complete (a head sent too early).</summary>
    private static async Task<int> StatusOrCutAsync(PyHostServer server, string target)
    {
        await using RawHttpConnection connection = await server.ConnectAsync();
        await connection.SendAsync(server.Request("GET", target));
        RawHttpResponse? response = await connection.ReadResponseOrNullAsync();
        return response is { IsComplete: true } ? response.StatusCode : -1;
    }

    [Fact]
    public async Task TrailersReachAnHttp2ClientThatAsksForThem()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);
        using var client = new HttpClient(new SocketsHttpHandler())
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{site.Server.Authority}/trailers")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TE.ParseAdd("trailers");

        using HttpResponseMessage response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("body before trailers", body);
        Assert.True(response.TrailingHeaders.TryGetValues("x-checksum", out IEnumerable<string>? checksum),
            $"no trailer; response headers: {response.Headers}{response.Content.Headers}; trailers: {response.TrailingHeaders}");
        Assert.Equal(["sha256-abc"], checksum);
    }

    [Fact]
    public async Task TheTrailersExtensionIsOfferedOnlyWhenTheClientCanGetThem()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);

        string[] http1 = (await site.GetJsonAsync("/extensions")).EnumerateArray().Select(e => e.GetString()!).ToArray();

        Assert.DoesNotContain("http.response.trailers", http1);
    }

    [Fact]
    public async Task TheAccessLogHasAsgiRequestsAndWebSocketsAndStaticMountsServeBesideTheApp()
    {
        string staticDirectory = Directory.CreateTempSubdirectory("pyhost-asgi-static-").FullName;
        await File.WriteAllTextAsync(Path.Combine(staticDirectory, "style.css"), "body { color: teal }");
        try
        {
            await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1", "--access-logfile", "-", "--static", $"/static={staticDirectory}"]);

            (await site.Server.GetAsync("/hello")).AssertStatus(200);
            RawHttpResponse css = (await site.Server.GetAsync("/static/style.css")).AssertStatus(200);
            JsonElement echo = await WebSocketClient.RunAsync("echo", site.WebSocketUrl("/ws"));

            Assert.Equal("body { color: teal }", css.BodyText);
            Assert.Equal("h\u00e9llo \U0001F600", echo.GetProperty("text").GetString());
            await site.Process.WaitForOutputAsync(new Regex("\"GET /hello HTTP/1.1\" 200 "), TimeSpan.FromSeconds(5));
            await site.Process.WaitForOutputAsync(new Regex("\"GET /static/style.css HTTP/1.1\" 200 20 "), TimeSpan.FromSeconds(5));
            await site.Process.WaitForOutputAsync(new Regex("\"GET /ws HTTP/1.1\" 101 "), TimeSpan.FromSeconds(5));
        }
        finally
        {
            Directory.Delete(staticDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task AnAppErrorIsA500PageAndATracebackAtErrorInTheServerLog()
    {
        await using AsgiSite site = await AsgiSite.StartAsync(output, ["-w", "1"]);
        string marker = Guid.NewGuid().ToString("N");

        RawHttpResponse response = await site.Server.GetAsync($"/error?{marker}");

        Assert.Equal(500, response.StatusCode);
        Assert.DoesNotContain(marker, response.BodyText);
        Match line = await site.Process.WaitForOutputAsync(new Regex(@"\[ERROR\] \[worker 1 \(pid \d+\)\] Exception in ASGI application handling GET /error"), TimeSpan.FromSeconds(5));
        Assert.Contains($"RuntimeError: asgi feature failure {marker}", site.Process.Output);
        Assert.Contains("Traceback (most recent call last)", site.Process.Output);
    }
}

/// <summary>Deletes a file the test wrote when the test ends.</summary>
internal sealed class TemporaryFile(string path) : IDisposable
{
    public void Dispose() => File.Delete(path);
}
