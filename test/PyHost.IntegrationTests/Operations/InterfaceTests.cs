using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>An ASGI app (FastAPI, Starlette, Django's asgi.py) is recognized at boot: until PyHost serves ASGI, it
/// stops with one clear line and exit status 4, instead of printing "Listening" and answering every request 500.</summary>
public sealed class InterfaceTests
{
    [Theory]
    [InlineData("asgi_apps:function_app", null)]
    [InlineData("asgi_apps:instance_app", null)]
    [InlineData("mysite.asgi:application", "examples/django")]
    public async Task AnAsgiAppStopsTheBootWithExitStatus4(string app, string? appDirectory)
    {
        var chdir = appDirectory is null ? Repository.AppsDirectory : Path.Combine(Repository.Root, appDirectory);
        var run = await Ops.RunAsync(Repository.PyHostExecutable,
            ["serve", app, "--python", Repository.Python, "--chdir", chdir, "-b", Ops.Bind(Ops.FreePort()), "-w", "2"]);

        Assert.True(run.ExitCode == 4, $"exit status {run.ExitCode}:\n{run.Output}");
        Assert.Equal(1, Ops.CountLines(run.Output, new Regex($@"AppImportError: {Regex.Escape(app)} is an ASGI application .* PyHost serves WSGI apps only for now")));
        Assert.DoesNotContain("Listening on", run.Output);
    }

    [Fact]
    public async Task AWsgiAppOfTheSameProjectServes()
    {
        var port = Ops.FreePort();
        await using var pyhost = await TestProcess.StartServingAsync(
            ["serve", "mysite.wsgi:application", "--python", Repository.Python, "--chdir", Path.Combine(Repository.Root, "examples/django"),
                "-b", Ops.Bind(port), "-w", "1"],
            [$"http://127.0.0.1:{port}"]);

        Assert.NotEqual(500, (await Ops.GetAsync(port, "/")).StatusCode);
    }
}
