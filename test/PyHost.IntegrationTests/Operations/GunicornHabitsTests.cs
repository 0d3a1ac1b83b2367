using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>gunicorn's habits PyHost must not ignore: $PORT, -k, --capture-output, --name, and --backlog as the
/// kernel's listen backlog (PyHost's own queue is --max-queued-requests).</summary>
public sealed class GunicornHabitsTests
{
    [Fact]
    public async Task WithoutBindPortFromTheEnvironmentIsServedOnEveryAddress()
    {
        var port = Ops.FreePort();
        await using var pyhost = TestProcess.Start(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-w", "1"), Repository.AppsDirectory,
            new Dictionary<string, string?> { ["PORT"] = port.ToString() });

        await pyhost.WaitForOutputAsync(TestProcess.ListeningOn($"http://0.0.0.0:{port}"), TestProcess.StartTimeout);
        (await Ops.GetAsync(port, "/from-port")).AssertStatus(200);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("gthread", "--threads", "2")]
    [InlineData("gunicorn.workers.sync.SyncWorker")]
    [InlineData("sync", "--capture-output")]
    public async Task SyncAndGthreadWorkerClassesServe(string workerClass, params string[] more)
    {
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve(Ops.App, ["-b", Ops.Bind(port), "-w", "1", "-k", workerClass, .. more]));

        (await Ops.GetAsync(port, "/worker-class")).AssertStatus(200);
    }

    [Theory]
    [InlineData("uvicorn.workers.UvicornWorker")]
    [InlineData("uvicorn_worker.UvicornWorker")]
    public async Task UvicornsWorkerClassesServeTheAppAsAsgi(string workerClass)
    {
        // An app auto detection takes for WSGI (see InterfaceTests): only the worker class makes it ASGI.
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve("asgi_apps:sync_function_app", ["-b", Ops.Bind(port), "-w", "1", "-k", workerClass]));

        Assert.Equal("asgi sync function", (await Ops.GetAsync(port, "/hello")).AssertStatus(200).BodyText);
        Assert.Matches(new Regex(@"Booted worker \d+ \(pid \d+\) in \d+ ms \(Python [\d.]+, ASGI"), pyhost.Output);
    }

    [Theory]
    [InlineData("uvicorn.workers.UvicornWebSocketWorker", "worker class 'uvicorn.workers.UvicornWebSocketWorker' is not one PyHost knows")]
    [InlineData("gevent", "'gevent' is a green-thread worker class, which PyHost does not have")]
    [InlineData("nonsense.Worker", "expected sync, gthread or uvicorn.workers.UvicornWorker, not 'nonsense.Worker'")]

    public async Task OtherWorkerClassesAreRefusedWithTheFlagAndAHint(string workerClass, string message)
    {
        var run = await Ops.RunAsync(Repository.PyHostExecutable, Ops.Serve(Ops.App, "-b", Ops.Bind(Ops.FreePort()), "-k", workerClass));

        Assert.True(run.ExitCode == 2, $"exit status {run.ExitCode}:\n{run.Output}");
        string[] lines = run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"pyhost: flag -k: error: worker_class: {message}", lines[0]);
        Assert.StartsWith("  hint: ", lines[1]);
        Assert.DoesNotContain("   at ", run.Output);
    }

    [Fact]
    public async Task NameIsTheProcessNameOfTheServerAndItsWorkers()
    {
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "2", "--name", "shop-frontend-long"));
        (await Ops.GetAsync(port, "/named")).AssertStatus(200);

        // comm holds 15 bytes, as ps, top and pgrep show it.
        Assert.Equal("shop-frontend-l", File.ReadAllText($"/proc/{pyhost.Id}/comm").Trim());
        var workers = Posix.Descendants(pyhost.Id);
        Assert.Equal(2, workers.Count);
        Assert.All(workers, worker => Assert.Equal("shop-frontend-l", File.ReadAllText($"/proc/{worker}/comm").Trim()));
    }

    [Fact]
    public async Task BacklogIsTheKernelsListenBacklog()
    {
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1", "--backlog", "77"));

        // ss shows a listening socket's backlog in its Send-Q column.
        var (_, sockets, _) = await Ops.RunAsync("/usr/bin/ss", ["-Hltn", $"sport = :{port}"]);
        var columns = sockets.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(columns.Length >= 3 && columns[2] == "77", $"ss shows: {sockets}");
    }
}
