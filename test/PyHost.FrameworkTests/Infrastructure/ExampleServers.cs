using PyHost.FrameworkTests.Compatibility;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>
/// One pyhost and one reference server (gunicorn for a WSGI app, uvicorn for an ASGI one) serving the same example
/// app from examples/NAME, with the same arguments and two workers each, and each with a state directory of its own
/// (database, uploads), prepared alike, so that the same scenario leaves the same traces on both. Shared by the tests
/// of one class.
/// </summary>
public abstract class ExampleServers : IAsyncLifetime
{
    private const int Workers = 2;

    private WebServer? pyhost;
    private WebServer? gunicorn;

    /// <summary>The framework row of docs/compatibility.md these servers are for.</summary>
    public abstract FrameworkRow Row { get; }

    /// <summary>The folder under examples/.</summary>
    protected abstract string Example { get; }

    /// <summary>The app as both servers take it: <c>["mysite.wsgi:application"]</c>, <c>["--paste", "development.ini"]</c>.</summary>
    protected abstract IReadOnlyList<string> AppArguments { get; }

    /// <summary>What makes the two servers' answers comparable for this app: its tokens and session cookies.</summary>
    public abstract ResponseNormalizer Normalizer { get; }

    public string Directory => Path.Combine(Repository.Root, "examples", Example);

    /// <summary>A temporary directory for this class: what <see cref="PrepareAsync"/> makes, and each server's state.</summary>
    public string StateRoot { get; } = System.IO.Directory.CreateTempSubdirectory("pyhost-frameworks-").FullName;

    public WebServer PyHost => pyhost ?? throw new InvalidOperationException(StartFailure ?? "The servers have not started.");

    /// <summary>The reference server (gunicorn, or uvicorn for <see cref="AsgiExampleServers"/>).</summary>
    public WebServer Gunicorn => gunicorn ?? throw new InvalidOperationException(StartFailure ?? "The servers have not started.");

    /// <summary>The reference's name: also the name of its state directory.</summary>
    protected virtual string ReferenceName => "gunicorn";

    /// <summary>Starts the reference serving the example; gunicorn takes the same arguments as pyhost.</summary>
    protected virtual Task<WebServer> StartReferenceAsync(string stateDirectory) =>
        WebServer.StartGunicornAsync(Directory, [.. AppArguments, "-w", $"{Workers}", .. EnvironmentArguments(stateDirectory)]);

    protected const int WorkerCount = Workers;

    /// <summary>Why the servers could not start, for the report; null when they did.</summary>
    public string? StartFailure { get; private set; }

    public string StateDirectory(WebServer server) => Path.Combine(StateRoot, server.Name);

    /// <summary>Once, before the servers start: what both copies start from (a migrated database, collected files).</summary>
    protected virtual Task PrepareAsync() => Task.CompletedTask;

    /// <summary>Per server, in its own state directory: copies of what <see cref="PrepareAsync"/> made.</summary>
    protected virtual void PrepareServerState(string stateDirectory)
    {
    }

    /// <summary>Environment variables for the app (passed with -e, which both servers take), given a server's state directory.</summary>
    protected virtual IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) => new Dictionary<string, string>();

    /// <summary>Options only pyhost has (--static).</summary>
    protected virtual IEnumerable<string> PyHostOnlyArguments(string stateDirectory) => [];

    public async Task InitializeAsync()
    {
        try
        {
            await PrepareAsync();
            string pyhostState = Path.Combine(StateRoot, "pyhost");
            string gunicornState = Path.Combine(StateRoot, ReferenceName);
            foreach (string state in new[] { pyhostState, gunicornState })
            {
                System.IO.Directory.CreateDirectory(state);
                PrepareServerState(state);
            }
            Task<WebServer> startingPyHost = WebServer.StartPyHostAsync(
                Directory, [.. AppArguments, "-w", $"{Workers}", .. EnvironmentArguments(pyhostState), .. PyHostOnlyArguments(pyhostState)]);
            Task<WebServer> startingGunicorn = StartReferenceAsync(gunicornState);
            try
            {
                await Task.WhenAll(startingPyHost, startingGunicorn);   // waits for both, even when one fails
            }
            finally
            {
                // Whichever did start is stopped by DisposeAsync.
                pyhost = startingPyHost.IsCompletedSuccessfully ? startingPyHost.Result : null;
                gunicorn = startingGunicorn.IsCompletedSuccessfully ? startingGunicorn.Result : null;
            }
        }
        catch (Exception e)
        {
            // The tests still run and report this, so the compatibility report gets a red row with the reason.
            StartFailure = $"the servers could not start: {e.Message}";
        }
    }

    public async Task DisposeAsync()
    {
        foreach (WebServer? server in new[] { pyhost, gunicorn })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
        System.IO.Directory.Delete(StateRoot, recursive: true);
    }

    /// <summary>
    /// Runs <paramref name="scenario"/> against pyhost, then against gunicorn, each with a fresh browser; the
    /// scenario's own assertions must hold on both, and the two transcripts must be the same. Both always run, so
    /// the two servers' state stays in step for the next test even when this one fails.
    /// </summary>
    public async Task RunScenarioAsync(Func<Browser, Task> scenario, ITestOutputHelper output)
    {
        var (onPyHost, pyhostFailure) = await RunOnAsync(PyHost, scenario, output);
        var (onGunicorn, gunicornFailure) = await RunOnAsync(Gunicorn, scenario, output);
        if (gunicornFailure is not null)
        {
            throw new ScenarioFailedException($"The scenario fails on the reference as well, so the test is wrong: {gunicornFailure.Message}", gunicornFailure);
        }
        if (pyhostFailure is not null)
        {
            throw pyhostFailure;
        }
        TranscriptAssert.Same(onGunicorn, onPyHost);
    }

    private async Task<(Browser Browser, ScenarioFailedException? Failure)> RunOnAsync(WebServer server, Func<Browser, Task> scenario, ITestOutputHelper output)
    {
        var browser = new Browser(server, Normalizer);
        int mark = server.LineCount;
        ScenarioFailedException? failure = null;
        try
        {
            await scenario(browser);
        }
        catch (Exception e)
        {
            failure = new ScenarioFailedException(
                $"On {server.Name}: {e.Message}\n\nexchanges so far:\n{string.Join("\n", browser.Transcript)}\n\n{server.Name} printed:\n{server.OutputSince(mark)}", e);
        }
        output.WriteLine($"=== {server.Name} ({server.Authority})\n{string.Join("\n", browser.Transcript)}\n--- {server.Name} printed:\n{server.OutputSince(mark)}");
        return (browser, failure);
    }

    protected IEnumerable<string> EnvironmentArguments(string stateDirectory) =>
        AppEnvironment(stateDirectory).SelectMany(variable => new[] { "-e", $"{variable.Key}={variable.Value}" });
}

public sealed class ScenarioFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>An ASGI example: the reference is Debian's uvicorn, with two workers and the app's environment.</summary>
public abstract class AsgiExampleServers : ExampleServers
{
    protected override string ReferenceName => "uvicorn";

    protected override Task<WebServer> StartReferenceAsync(string stateDirectory) =>
        WebServer.StartUvicornAsync(Directory, [.. AppArguments, "--workers", $"{WorkerCount}"], AppEnvironment(stateDirectory));
}
