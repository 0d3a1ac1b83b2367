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

    /// <summary>A check on pyhost alone (what gunicorn does not do, such as static files), recorded in the matrix.</summary>
    protected Task CheckPyHostAsync(string description, Func<Browser, Task> scenario, [CallerMemberName] string testMethod = "") =>
        CheckAsync(servers.Row, description, () => servers.StartFailure is { } failure
            ? throw new InvalidOperationException(failure)
            : scenario(new Browser(servers.PyHost, servers.Normalizer)), testMethod);
}
