using System.Net;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>
/// One pyhost serving apps/gateway.py on a uwsgi, SCGI and FastCGI listener each, over TCP and over a Unix socket,
/// and no HTTP listener: everything reaches it through the front server.
/// </summary>
public sealed class GatewayPyHost : IAsyncDisposable
{
    private GatewayPyHost(TestProcess process, IReadOnlyDictionary<GatewayProtocol, GatewayUpstream> upstreams, int? keepAlivePort)
    {
        Process = process;
        Upstreams = upstreams;
        KeepAlivePort = keepAlivePort;
    }

    public TestProcess Process { get; }

    public IReadOnlyDictionary<GatewayProtocol, GatewayUpstream> Upstreams { get; }

    /// <summary>A FastCGI listener of its own for nginx's keep-alive upstream, so its connections can be counted.</summary>
    public int? KeepAlivePort { get; }

    public static async Task<GatewayPyHost> StartAsync(
        string socketDirectory, string testDirectory, IReadOnlyList<GatewayProtocol> protocols, bool keepAliveListener, IEnumerable<string> options)
    {
        for (int attempt = 1; ; attempt++)
        {
            var upstreams = protocols.ToDictionary(p => p, p => new GatewayUpstream(p, PyHostServer.FreePort(IPAddress.Loopback), Path.Combine(socketDirectory, $"{p.Scheme()}.sock")));
            int? keepAlivePort = keepAliveListener ? PyHostServer.FreePort(IPAddress.Loopback) : null;
            var binds = new List<string>();
            var urls = new List<string>();
            foreach (GatewayUpstream upstream in upstreams.Values)
            {
                binds.AddRange(["-b", $"{upstream.Protocol.Scheme()}://{upstream.Address}", "-b", $"{upstream.Protocol.Scheme()}+unix:{upstream.UnixSocket}"]);
                urls.AddRange([$"{upstream.Protocol.Scheme()}://{upstream.Address}", $"{upstream.Protocol.Scheme()}+unix:{upstream.UnixSocket}"]);
            }
            if (keepAlivePort is { } port)
            {
                binds.AddRange(["-b", $"fastcgi://127.0.0.1:{port}"]);
                urls.Add($"fastcgi://127.0.0.1:{port}");
            }
            TestProcess process = TestProcess.Start(
                ["serve", "gateway:app", "--chdir", Repository.AppsDirectory, "--python", Repository.Python, "-w", "2",
                 "-e", $"PYHOST_TEST_DIR={testDirectory}", .. binds, .. options]);
            try
            {
                foreach (string url in urls)
                {
                    await process.WaitForOutputAsync(TestProcess.ListeningOn(url), TestProcess.StartTimeout);
                }
                return new GatewayPyHost(process, upstreams, keepAlivePort);
            }
            catch (Exception) when (PyHostServer.LostItsPort(process, attempt))
            {
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
