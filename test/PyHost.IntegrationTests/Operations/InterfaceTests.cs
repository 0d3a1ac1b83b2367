using System.Net;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>An ASGI app (FastAPI, Starlette, Django's asgi.py) is recognized at import by --interface auto (issue 11
/// point 1): the boot log says ASGI and the app answers, instead of "Listening" and a 500 for every request. One that
/// auto cannot recognize is served as ASGI when --interface asgi (or uvicorn's gunicorn worker class) says so.</summary>
public sealed class InterfaceTests
{
    [Theory]
    [InlineData("asgi_apps:function_app", null, "/", "asgi function")]
    [InlineData("asgi_apps:instance_app", null, "/", "asgi instance")]
    [InlineData("asgi_apps:DoubleCallableApp", null, "/", "asgi double callable")]
    [InlineData("mysite.asgi:application", "examples/django", "/admin/login/", "Django")]
    public async Task AnAsgiAppIsDetectedAndServed(string app, string? appDirectory, string target, string expectedText)
    {
        var port = Ops.FreePort();
        var chdir = appDirectory is null ? Repository.AppsDirectory : Path.Combine(Repository.Root, appDirectory);
        await using var pyhost = await TestProcess.StartServingAsync(
            ["serve", app, "--python", Repository.Python, "--chdir", chdir, "-b", Ops.Bind(port), "-w", "1"],
            [$"http://127.0.0.1:{port}"]);

        // Host 127.0.0.1: the Django example's ALLOWED_HOSTS refuses any other with a 400.
        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, port));
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.StatusCode);
        Assert.Contains(expectedText, response.BodyText);
        Assert.Matches(new Regex(@"Booted worker 1 \(pid \d+\) in \d+ ms \(Python 3\.\d+\.\d+, ASGI on \w+\)"), pyhost.Output);
    }

    /// <summary>An app auto detection cannot tell (a plain function that returns an ASGI coroutine) is served as ASGI
    /// when the command line says so: --interface asgi, or uvicorn's gunicorn worker class.</summary>
    [Theory]
    [InlineData("--interface", "asgi")]
    [InlineData("-k", "uvicorn.workers.UvicornWorker")]
    public async Task AnAppAutoWouldTakeForWsgiIsServedAsAsgiWhenForced(string flag, string value)
    {
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve("asgi_apps:sync_function_app", "-b", Ops.Bind(port), "-w", "1", flag, value));

        var response = await Ops.GetAsync(port, "/");

        response.AssertStatus(200);
        Assert.Equal("asgi sync function", response.BodyText);
        Assert.Matches(new Regex(@"Booted worker 1 \(pid \d+\) in \d+ ms \(Python 3\.\d+\.\d+, ASGI on \w+\)"), pyhost.Output);
    }

    [Fact]
    public async Task UnderAutoAnAppThatIsNotACoroutineFunctionIsTakenForWsgi()
    {
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve("asgi_apps:sync_function_app", "-b", Ops.Bind(port), "-w", "1"));

        // Called as WSGI with (environ, start_response), it lacks its third argument: a 500.
        Assert.Equal(500, (await Ops.GetAsync(port, "/")).StatusCode);
        Assert.Matches(new Regex(@"Booted worker 1 \(pid \d+\) in \d+ ms \(Python 3\.\d+\.\d+, WSGI\)"), pyhost.Output);
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
        Assert.Matches(new Regex(@"Booted worker 1 \(pid \d+\) in \d+ ms \(Python 3\.\d+\.\d+, WSGI\)"), pyhost.Output);
    }
}
