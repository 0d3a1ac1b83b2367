using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Http;

/// <summary>`-b` beyond 127.0.0.1: a Unix socket and IPv6 loopback. Each test starts its own server.</summary>
public sealed class BindTests
{
    [Fact]
    public async Task UnixSocketBindServesRequests()
    {
        var directory = Directory.CreateTempSubdirectory("pyhost-unix-");
        try
        {
            var socketPath = Path.Combine(directory.FullName, "s.sock");
            await using var server = TestProcess.Start(ServeApps($"unix:{socketPath}"));
            await server.WaitForOutputAsync(new Regex("Listening on .*" + Regex.Escape(socketPath)), TestProcess.StartTimeout);

            await using var connection = await RawHttpConnection.OpenAsync(new UnixDomainSocketEndPoint(socketPath));
            await connection.SendAsync("GET /echo/over-unix HTTP/1.1\r\nHost: localhost\r\n\r\n");
            var response = await connection.ReadResponseAsync();

            Assert.Equal("/echo/over-unix", response.AssertStatus(200).Environ()["PATH_INFO"].GetString());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [IPv6LoopbackFact]
    public async Task IPv6LoopbackBindServesRequests()
    {
        var port = PyHostServer.FreePort(IPAddress.IPv6Loopback);
        await using var server = await TestProcess.StartServingAsync(ServeApps($"[::1]:{port}"), [$"http://[::1]:{port}"]);

        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.IPv6Loopback, port));
        await connection.SendAsync($"GET /echo/over-ipv6 HTTP/1.1\r\nHost: [::1]:{port}\r\n\r\n");
        var environ = (await connection.ReadResponseAsync()).AssertStatus(200).Environ();

        Assert.Equal("/echo/over-ipv6", environ["PATH_INFO"].GetString());
        Assert.Equal("::1", environ["REMOTE_ADDR"].GetString());
    }

    private static string[] ServeApps(string bind) =>
        ["serve", "pep3333:app", "-b", bind, "-w", "1", "--python", Repository.Python, "--chdir", Repository.AppsDirectory];
}

/// <summary>A fact skipped, with the reason, on a machine where [::1] cannot be bound.</summary>
public sealed class IPv6LoopbackFactAttribute : FactAttribute
{
    public IPv6LoopbackFactAttribute()
    {
        if (!CanBindIPv6Loopback())
        {
            Skip = "This machine has no IPv6 loopback: binding [::1]:0 failed.";
        }
    }

    private static bool CanBindIPv6Loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return false;
        }
        try
        {
            PyHostServer.FreePort(IPAddress.IPv6Loopback);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
