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
