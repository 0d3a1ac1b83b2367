using System.Text.Json;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Serving;

/// <summary>A virtualenv made as a deployment makes one from Debian's Python: `python3 -m venv --system-site-packages`.</summary>
public sealed class Virtualenv : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pyhost-venv-").FullName;

    public string Python => Path.Combine(Directory, "bin", "python");

    public Task InitializeAsync() => PythonCommand.RunAsync(Directory, ["-m", "venv", "--system-site-packages", Directory]);

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class VirtualenvTests(Virtualenv venv, CompatibilityMatrix matrix, ITestOutputHelper output)
    : MatrixTest(matrix, output), IClassFixture<Virtualenv>
{
    /// <summary>The test run's own $VIRTUAL_ENV, if any, must not choose for these tests.</summary>
    private static readonly IReadOnlyDictionary<string, string?> NoVirtualEnv = new Dictionary<string, string?> { ["VIRTUAL_ENV"] = null };

    private static string Apps => Path.Combine(AppContext.BaseDirectory, "apps");

    [Fact]
    public Task TheInterpreterGivenWithPythonRunsTheWorkers() => CheckAsync(
        FrameworkRows.Virtualenv,
        "--python venv/bin/python: the workers run in the venv and import Debian's Flask through it",
        () => AssertServedFromTheVenvAsync(["--python", venv.Python], NoVirtualEnv, "from --python"));

    [Fact]
    public Task AnActiveVirtualenvIsFoundThroughVirtualEnv() => CheckAsync(
        FrameworkRows.Virtualenv,
        "$VIRTUAL_ENV (an activated venv, no --python): found, printed, used",
        () => AssertServedFromTheVenvAsync([], new Dictionary<string, string?> { ["VIRTUAL_ENV"] = venv.Directory }, "from $VIRTUAL_ENV"));

    [Fact]
    public Task TheFlaskExampleRunsFromTheVirtualenv() => CheckAsync(
        FrameworkRows.Virtualenv,
        "examples/flask served with the venv's interpreter: pages, sessions",
        async () =>
        {
            await using WebServer server = await WebServer.StartPyHostAsync(
                Path.Combine(Repository.Root, "examples", "flask"), ["app:app", "--python", venv.Python, "-w", "1"], NoVirtualEnv);
            var browser = new Browser(server, new());
            (await browser.GetAsync("/")).AssertStatus(200);
            Assert.Contains("Visits in this session: 2", (await browser.GetAsync("/")).AssertStatus(200).BodyText);
        });

    /// <summary>Serves apps/interpreter_probe.py and checks that pyhost said why it chose the venv, and that the worker runs in it.</summary>
    private async Task AssertServedFromTheVenvAsync(string[] arguments, IReadOnlyDictionary<string, string?> environment, string reason)
    {
        await using WebServer server = await WebServer.StartPyHostAsync(Apps, ["interpreter_probe", "-w", "1", .. arguments], environment);
        Assert.Contains($"Using Python {venv.Python} ({reason})", server.OutputSince(0));
        JsonElement seen = (await new Browser(server, new()).GetAsync("/")).AssertStatus(200).Json();
        Assert.Equal(venv.Directory, seen.GetProperty("prefix").GetString());
        Assert.Equal("/usr", seen.GetProperty("base_prefix").GetString());
        Assert.StartsWith("/usr/lib/python3/dist-packages/flask/", seen.GetProperty("flask").GetString());
    }
}
