using System.Runtime.CompilerServices;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Compatibility;

/// <summary>A test class whose tests are rows of docs/compatibility.md.</summary>
[Collection(CompatibilityCollection.Name)]
public abstract class MatrixTest(CompatibilityMatrix matrix, ITestOutputHelper output)
{
    protected ITestOutputHelper Output => output;

    /// <summary>Runs the test body and records it in the matrix as <paramref name="description"/>.</summary>
    protected Task CheckAsync(FrameworkRow row, string description, Func<Task> test, [CallerMemberName] string testMethod = "") =>
        matrix.CheckAsync(row, description, GetType(), testMethod, test);
}

/// <summary>A framework's tests: each one a scenario run against pyhost and against gunicorn, compared.</summary>
public abstract class FrameworkTest<TServers>(TServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : MatrixTest(matrix, output), IClassFixture<TServers>
    where TServers : ExampleServers
{
    protected TServers Servers => servers;

    /// <summary>
    /// Runs <paramref name="scenario"/> on both servers and compares what they answered; records the outcome. When
    /// the servers did not start, that is the recorded reason.
    /// </summary>
    protected Task CompareAsync(string description, Func<Browser, Task> scenario, [CallerMemberName] string testMethod = "") =>
        CheckAsync(servers.Row, description, () => servers.StartFailure is { } failure
            ? throw new InvalidOperationException(failure)
            : servers.RunScenarioAsync(scenario, Output), testMethod);

    /// <summary>
    /// Runs a WebSocket script (apps/ws_client.py "script": send, recv, close steps) against both servers with
    /// python3-websockets; <paramref name="check"/> must hold on each and the two transcripts must be the same.
    /// </summary>
    protected Task CompareWebSocketAsync(string description, string path, string steps, Action<System.Text.Json.JsonElement> check,
                                         [CallerMemberName] string testMethod = "") =>
        CheckAsync(servers.Row, description, async () =>
        {
            if (servers.StartFailure is { } failure)
            {
                throw new InvalidOperationException(failure);
            }
            System.Text.Json.JsonElement onReference = await PyHost.IntegrationTests.Asgi.WebSocketClient.RunAsync("script", $"ws://{servers.Gunicorn.Authority}{path}", steps);
            System.Text.Json.JsonElement onPyHost = await PyHost.IntegrationTests.Asgi.WebSocketClient.RunAsync("script", $"ws://{servers.PyHost.Authority}{path}", steps);
            Output.WriteLine($"{servers.Gunicorn.Name}: {onReference}\npyhost: {onPyHost}");
            check(onReference);
            check(onPyHost);
            Assert.Equal(onReference.GetRawText(), onPyHost.GetRawText());
        }, testMethod);

    /// <summary>A check on pyhost alone (what gunicorn does not do, such as static files), recorded in the matrix.</summary>
    protected Task CheckPyHostAsync(string description, Func<Browser, Task> scenario, [CallerMemberName] string testMethod = "") =>
        CheckAsync(servers.Row, description, () => servers.StartFailure is { } failure
            ? throw new InvalidOperationException(failure)
            : scenario(new Browser(servers.PyHost, servers.Normalizer)), testMethod);
}
