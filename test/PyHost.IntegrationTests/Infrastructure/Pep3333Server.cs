using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// One pyhost per test class serving apps/pep3333.py with two workers. Apps that leave traces across worker
/// processes (close() calls, files to send) use <see cref="TestDirectory"/>, given to them as $PYHOST_TEST_DIR.
/// </summary>
public class Pep3333Server : IAsyncLifetime
{
    private PyHostServer? server;

    public PyHostServer Server => server ?? throw new InvalidOperationException("The server has not started.");

    public string TestDirectory { get; } = Directory.CreateTempSubdirectory("pyhost-tests-").FullName;

    protected virtual IEnumerable<string> Options => ["-w", "2", "--max-request-body", "1g"];

    public async Task InitializeAsync() =>
        server = await PyHostServer.StartAsync(
            "pep3333:app",
            ["--chdir", Repository.AppsDirectory, "-e", $"PYHOST_TEST_DIR={TestDirectory}", .. Options]);

    /// <summary>
    /// A pyhost.toml serving apps/pep3333.py as the backend of a proxy test: one [[listen]] on
    /// <paramref name="address"/> ({port0}: a free port <see cref="ConfiguredServer"/> fills in) with the extra
    /// <paramref name="listen"/> lines, <paramref name="server"/> lines for [server] (drain_delay), and the app.
    /// </summary>
    public static string BackendToml(string address = "127.0.0.1:{port0}", int workers = 1, string server = "", string listen = "") => $$"""
        [server]
        {{server}}

        [[listen]]
        address = "{{address}}"
        {{listen}}

        [app.main]
        module = "pep3333:app"
        chdir = "{{Repository.AppsDirectory}}"
        workers = {{workers}}
        """;

    /// <summary>A backend pyhost serving <see cref="BackendToml"/>, started once its control socket is announced.</summary>
    public static Task<ConfiguredServer> StartBackendAsync(ITestOutputHelper output, string address = "127.0.0.1:{port0}", int workers = 1, string server = "", string listen = "") =>
        ConfiguredServer.StartAsync(output, BackendToml(address, workers, server, listen));

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
        Directory.Delete(TestDirectory, recursive: true);
    }
}

/// <summary>The same apps with --debug, which puts tracebacks in 500 pages.</summary>
public sealed class Pep3333DebugServer : Pep3333Server
{
    protected override IEnumerable<string> Options => ["-w", "1", "--debug"];
}

/// <summary>The same apps with request buffering off: bodies stream to the app as it reads them.</summary>
public sealed class Pep3333StreamingServer : Pep3333Server
{
    protected override IEnumerable<string> Options => ["-w", "2", "--no-request-buffering", "--max-request-body", "0"];
}

/// <summary>The same apps with one worker, so the worker that replaces a dead one is the one that answers next.</summary>
public sealed class Pep3333SingleWorkerServer : Pep3333Server
{
    protected override IEnumerable<string> Options => ["-w", "1"];
}

/// <summary>
/// A test class served by one shared <typeparamref name="TServer"/>. What pyhost printed during each test is
/// written to the test's output, so a failure comes with the server's side of the story.
/// </summary>
public abstract class ServedTest<TServer> : IClassFixture<TServer>, IDisposable where TServer : Pep3333Server
{
    protected ServedTest(TServer fixture, ITestOutputHelper output)
    {
        Fixture = fixture;
        Output = output;
        FirstLine = fixture.Server.Process.LineCount;
    }

    protected TServer Fixture { get; }

    protected ITestOutputHelper Output { get; }

    protected PyHostServer Server => Fixture.Server;

    /// <summary>The first line pyhost printed during this test.</summary>
    protected int FirstLine { get; }

    public void Dispose()
    {
        Output.WriteLine($"pyhost output during this test ({Server.Process.CommandLine}):");
        Output.WriteLine(Server.Process.OutputSince(FirstLine));
        GC.SuppressFinalize(this);
    }
}
