using Xunit;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>
/// apps/asgi_conformance.py served at once by PyHost, uvicorn and hypercorn, each with one worker process, a
/// WebSocket message limit of <see cref="WebSocketMaxSize"/> bytes and its own test directory.
/// </summary>
public sealed class ConformanceServers : IAsyncLifetime
{
    public const long WebSocketMaxSize = 8 * 1024 * 1024;

    private readonly Dictionary<string, AsgiServer> servers = new();

    public static IEnumerable<object[]> All => [[AsgiServer.PyHost], [AsgiServer.Uvicorn], [AsgiServer.Hypercorn]];

    public AsgiServer this[string name] => servers[name];

    public async Task InitializeAsync()
    {
        AsgiServer[] started = await Task.WhenAll(
            new[] { AsgiServer.PyHost, AsgiServer.Uvicorn, AsgiServer.Hypercorn }
                .Select(name => AsgiServer.StartAsync(name, "asgi_conformance:app", webSocketMaxSize: WebSocketMaxSize)));
        foreach (AsgiServer server in started)
        {
            servers[server.Name] = server;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (AsgiServer server in servers.Values)
        {
            await server.DisposeAsync();
        }
    }
}
