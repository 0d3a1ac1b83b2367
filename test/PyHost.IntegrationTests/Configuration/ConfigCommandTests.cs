using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Configuration;

/// <summary>
/// The configuration as a user meets it from a shell: the file pyhost finds by itself (pyhost.toml, [tool.pyhost],
/// gunicorn.conf.py), `pyhost check` and `pyhost config --print`, gunicorn's precedence, and a mistake's message
/// with its file, line and hint, never a stack trace.
/// </summary>
public sealed class ConfigCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Ops.OpenDirectory("pyhost-config-cmd-");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private void Write(string name, string text) => File.WriteAllText(Path.Combine(directory, name), text);

    private Task<(int ExitCode, string Output, string StandardError)> PyHostAsync(params string[] arguments) =>
        PyHostAsync(new Dictionary<string, string?>(), arguments);

    private async Task<(int ExitCode, string Output, string StandardError)> PyHostAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var merged = new Dictionary<string, string?>(ConfiguredServer.DebianPython);
        foreach (var (name, value) in environment)
        {
            merged[name] = value;
        }
        var result = await Ops.RunAsync(Repository.PyHostExecutable, arguments, merged, directory);
        output.WriteLine($"pyhost {string.Join(' ', arguments)} → {result.ExitCode}\n{result.Output}");
        Assert.DoesNotMatch(Ops.StackTrace, result.Output);
        return result;
    }

    private const string GoodToml = """
        [[listen]]
        address = "127.0.0.1:8000"

        [app.main]
        module = "named:app"
        workers = 2
        """;

    [Fact]
    public async Task Check_says_OK_with_a_summary_for_a_good_file()
    {
        Write("pyhost.toml", GoodToml);

        var (exit, text, _) = await PyHostAsync("check");

        Assert.Equal(0, exit);
        Assert.Contains("pyhost.toml: OK: 1 app (main), 1 site, 1 listener (127.0.0.1:8000)", text);
    }

    [Fact]
    public async Task A_misspelt_key_is_an_error_with_its_line_and_the_key_it_probably_meant()
    {
        Write("pyhost.toml", GoodToml.Replace("workers = 2", "wrokers = 2"));

        var check = await PyHostAsync("check");
        var serve = await PyHostAsync("serve");

        Assert.Equal(1, check.ExitCode);
        Assert.Matches(@"pyhost\.toml:6:\d+: error: .*wrokers", check.StandardError);
        Assert.Contains("workers", check.StandardError);
        Assert.Equal(2, serve.ExitCode);
        Assert.Matches(@"pyhost\.toml:6:\d+: error: .*wrokers", serve.StandardError);
    }

    [Fact]
    public async Task Check_with_import_imports_each_app_in_its_interpreter()
    {
        Write("named.py", File.ReadAllText(Path.Combine(Repository.AppsDirectory, "named.py")));
        Write("pyhost.toml", GoodToml + """

            [app.broken]
            module = "no_such_module:app"

            [[site]]
              [[site.route]]
              path = "/broken"
              app = "broken"

              [[site.route]]
              app = "main"
            """);

        var (exit, text, _) = await PyHostAsync("check", "--import");

        Assert.NotEqual(0, exit);
        Assert.Contains("no_such_module", text);
        Assert.Contains("main", text);
    }

    [Fact]
    public async Task Pyproject_tool_pyhost_is_found_when_there_is_no_pyhost_toml()
    {
        Write("pyproject.toml", """
            [project]
            name = "site"

            [tool.pyhost.app.main]
            module = "named:app"
            workers = 3
            """);

        var (exit, text, _) = await PyHostAsync("config", "--print");

        Assert.Equal(0, exit);
        Assert.Contains("config file: pyproject.toml", text);
        Assert.Matches(@"workers = 3 +# from: pyproject\.toml:\d+", text);
    }

    [Fact]
    public async Task A_gunicorn_config_file_serves_and_its_unsupported_settings_are_warnings()
    {
        Write("named.py", File.ReadAllText(Path.Combine(Repository.AppsDirectory, "named.py")));
        int port = Ops.FreePort();
        Write("gunicorn.conf.py", $"""
            bind = "127.0.0.1:{port}"
            workers = 1
            wsgi_app = "named:app"
            worker_tmp_dir = "/dev/shm"
            """);

        await using var server = TestProcess.Start(Repository.PyHostExecutable, ["serve"], directory, ConfiguredServer.DebianPython);
        await server.WaitForOutputAsync(TestProcess.ListeningOn($"http://127.0.0.1:{port}"), TestProcess.StartTimeout);

        (await Ops.GetAsync(port, "/")).AssertStatus(200);
        Assert.Matches(@"gunicorn\.conf\.py:4: warning: worker_tmp_dir", server.Output);
    }

    [Fact]
    public async Task The_command_line_beats_GUNICORN_CMD_ARGS_which_beats_the_file_as_in_gunicorn()
    {
        Write("gunicorn.conf.py", """
            workers = 1
            timeout = 10
            graceful_timeout = 5
            wsgi_app = "named:app"
            """);
        var environment = new Dictionary<string, string?> { ["GUNICORN_CMD_ARGS"] = "--workers 3 --timeout 40" };

        var (exit, text, _) = await PyHostAsync(environment, "serve", "--workers", "2", "--print-config");

        Assert.Equal(0, exit);
        Assert.Matches(@"workers = 2 +# from: flag --workers", text);
        Assert.Matches(@"timeout = ""40s"" +# from: env GUNICORN_CMD_ARGS", text);
        Assert.Matches(@"graceful_timeout = ""5s"" +# from: gunicorn\.conf\.py:3", text);
    }
}
