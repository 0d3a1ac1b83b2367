using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Workers;

/// <summary>--preload: the app is imported once in a zygote and the workers are forked from it.</summary>
public sealed class PreloadTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _appDirectory = Directory.CreateTempSubdirectory("pyhost-preload-").FullName;

    [Fact]
    public async Task PreloadedWorkersShareTheAppsMemory()
    {
        File.Copy(Path.Combine(Repository.AppsDirectory, "preload_app.py"), Path.Combine(_appDirectory, "preload_app.py"));

        long separate = await MeasureTotalPssKibAsync([]);
        long preloaded = await MeasureTotalPssKibAsync(["--preload"]);

        output.WriteLine($"4 workers holding 60 MB each: total PSS {separate / 1024} MiB without --preload, {preloaded / 1024} MiB with it.");
        // Without sharing each worker holds its own 60 MB (240 MB in all); with it the 60 MB are paid about once.
        Assert.True(preloaded < separate / 2, $"--preload did not share memory: {preloaded / 1024} MiB vs {separate / 1024} MiB.");
    }

    [Fact]
    public async Task ReloadWithPreloadImportsTheNewCode()
    {
        string module = Path.Combine(_appDirectory, "preload_app.py");
        File.Copy(Path.Combine(Repository.AppsDirectory, "preload_app.py"), module);
        string pidFile = Path.Combine(_appDirectory, "server.pid");
        await using var server = await PyHostServer.StartAsync("preload_app:app", ["--chdir", _appDirectory, "-w", "2", "--preload", "--pid", pidFile]);
        Assert.StartsWith("one ", (await server.GetAsync("/")).AssertStatus(200).BodyText);

        // A different length too: Python trusts a cached .pyc whose source has the same size and mtime second.
        File.WriteAllText(module, File.ReadAllText(module).Replace("VERSION = \"one\"", "VERSION = \"second\""));
        await using var reload = TestProcess.Start(["reload", "--pid", pidFile], _appDirectory);
        int exitCode = await reload.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, $"pyhost reload failed:\n{reload.Output}\n{server.Process.Describe()}");
        for (int i = 0; i < 4; i++)
        {
            Assert.StartsWith("second ", (await server.GetAsync("/")).AssertStatus(200).BodyText);
        }
    }

    private async Task<long> MeasureTotalPssKibAsync(string[] extraArguments)
    {
        await using var server = await PyHostServer.StartAsync("preload_app:app", ["--chdir", _appDirectory, "-w", "4", .. extraArguments]);
        for (int i = 0; i < 8; i++)
        {
            (await server.GetAsync("/")).AssertStatus(200);
        }
        return Posix.Descendants(server.Process.Id).Sum(pid => Posix.SmapsRollupKilobytes(pid, "Pss") ?? 0);
    }

    public void Dispose() => Directory.Delete(_appDirectory, recursive: true);
}
