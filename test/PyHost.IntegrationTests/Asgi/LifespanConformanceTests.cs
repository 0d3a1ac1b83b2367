using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>asgiref specs/lifespan.rst against PyHost and, as the reference, uvicorn and hypercorn.</summary>
public sealed class LifespanConformanceTests
{
    public static IEnumerable<object[]> All => ConformanceServers.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task StartupRunsBeforeTheFirstRequestWithTheLifespanScope(string name)
    {
        await using AsgiServer server = await AsgiServer.StartAsync(name, "asgi_conformance:app");

        var observed = (await server.GetAsync("/observed")).AssertStatus(200).Json().EnumerateArray().ToList();
        var startup = Assert.Single(observed, e => e.GetProperty("event").GetString() == "startup");
        Assert.Equal("lifespan", startup.GetProperty("scope").GetProperty("type").GetString());
        Assert.Equal("3.0", startup.GetProperty("scope").GetProperty("asgi").GetProperty("version").GetString());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task StartupFailedStopsTheServerWithTheAppsMessage(string name)
    {
        var start = AsgiServer.StartAsync(name, "asgi_conformance:app", new Dictionary<string, string?> { ["CONFORMANCE_STARTUP"] = "fail" });

        Exception failure = await Assert.ThrowsAnyAsync<Exception>(() => start);
        Assert.Contains("conformance startup failed on purpose", failure.Message);
        Assert.Matches(new Regex(@"exited with code [1-9]"), failure.Message);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AnAppThatRaisesOnTheLifespanScopeIsServedWithoutLifespanUnderAuto(string name)
    {
        // lifespan.rst: "If an exception is raised when calling the application callable with a lifespan.startup
        // message or a scope with type lifespan, the server must continue but not send any lifespan events."
        await using AsgiServer server = await AsgiServer.StartAsync(name, "asgi_conformance:app", new Dictionary<string, string?> { ["CONFORMANCE_STARTUP"] = "raise" });

        Assert.Equal("GET", (await server.GetAsync("/method")).AssertStatus(200).Json().GetProperty("method").GetString());
    }

    /// <summary>--lifespan on: lifespan is required, so an app that raises on its scope cannot start. PyHost exits
    /// with 4, its code for an app that cannot boot (gunicorn's APP_LOAD_ERROR); uvicorn with its STARTUP_FAILURE, 3.
    /// hypercorn has no such setting.</summary>
    [Theory]
    [InlineData(AsgiServer.PyHost, 4)]
    [InlineData(AsgiServer.Uvicorn, 3)]
    public async Task UnderLifespanOnAnAppThatRaisesOnTheLifespanScopeStopsTheServer(string name, int exitCode)
    {
        var start = AsgiServer.StartAsync(name, "asgi_conformance:app", new Dictionary<string, string?> { ["CONFORMANCE_STARTUP"] = "raise" }, lifespan: "on");

        Exception failure = await Assert.ThrowsAnyAsync<Exception>(() => start);
        Assert.Contains("RuntimeError: conformance app knows no lifespan scope", failure.Message);
        Assert.Contains($"exited with code {exitCode} ", failure.Message);
    }

    [Theory]
    [InlineData(AsgiServer.PyHost)]
    [InlineData(AsgiServer.Uvicorn)]
    public async Task UnderLifespanOffTheAppIsNeverCalledWithTheLifespanScope(string name)
    {
        await using AsgiServer server = await AsgiServer.StartAsync(name, "asgi_conformance:app", lifespan: "off");

        var observed = (await server.GetAsync("/observed")).AssertStatus(200).Json().EnumerateArray().ToList();
        Assert.DoesNotContain(observed, e => e.GetProperty("event").GetString() == "startup");
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ShutdownRunsWhenTheServerStops(string name)
    {
        string marker = Path.Combine(Path.GetTempPath(), $"pyhost-lifespan-{Guid.NewGuid():N}");
        AsgiServer server = await AsgiServer.StartAsync(name, "asgi_conformance:app", new Dictionary<string, string?> { ["CONFORMANCE_SHUTDOWN_MARKER"] = marker });
        try
        {
            (await server.GetAsync("/observed")).AssertStatus(200);
            await server.Process.StopAsync(TimeSpan.FromSeconds(20));

            Assert.True(File.Exists(marker), $"{name} stopped without lifespan.shutdown:\n{server.Process.Describe()}");
            Assert.Equal("lifespan.shutdown", await File.ReadAllTextAsync(marker));
        }
        finally
        {
            await server.DisposeAsync();
            File.Delete(marker);
        }
    }
}
