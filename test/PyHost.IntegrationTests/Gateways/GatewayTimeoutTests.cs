using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>A pyhost whose head and keep-alive timeouts are 1 s (--header-timeout, --keep-alive), as for HTTP.</summary>
public sealed class ShortTimeoutGatewayServer : IAsyncLifetime
{
    private GatewayPyHost? _pyHost;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pyhost-gwtimeout-").FullName;

    public GatewayPyHost PyHost => _pyHost ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() =>
        _pyHost = await GatewayPyHost.StartAsync(Directory, Directory, [GatewayProtocol.Uwsgi, GatewayProtocol.FastCgi],
            keepAliveListener: false, ["--header-timeout", "1", "--keep-alive", "1"]);

    public async Task DisposeAsync()
    {
        if (_pyHost is not null)
        {
            await _pyHost.DisposeAsync();
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>The HTTP front's timeouts hold for a web server in front too: a slow head, an idle kept connection.</summary>
public sealed class GatewayTimeoutTests(ShortTimeoutGatewayServer server, ITestOutputHelper output) : IClassFixture<ShortTimeoutGatewayServer>, IDisposable
{
    private readonly int _firstLine = server.PyHost.Process.LineCount;

    public void Dispose()
    {
        output.WriteLine($"pyhost output during this test:\n{server.PyHost.Process.OutputSince(_firstLine)}");
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task AHeadThatStopsHalfwayIsCutAfterTheHeaderTimeout()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.PyHost.Upstreams[GatewayProtocol.Uwsgi].Port);
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        byte[] packet = Wire.Uwsgi([new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/echo")]);
        await socket.SendAsync(packet.AsMemory(0, packet.Length / 2));   // and nothing more

        byte[] answer = await Wire.ReadToEndAsync(socket);

        Assert.Empty(answer);
        await server.PyHost.Process.WaitForOutputAsync(
            new Regex($@"WARN.*uwsgi peer 127\.0\.0\.1:{port} sent no complete request within 1 s"), TimeSpan.FromSeconds(5), _firstLine);
    }

    [Fact]
    public async Task AKeptFastCgiConnectionLeftIdleIsClosedAfterTheKeepAliveTimeout()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.PyHost.Upstreams[GatewayProtocol.FastCgi].Port);
        await socket.SendAsync(Wire.FastCgiRequest(1, [new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/echo")], [], keepConnection: true));
        var response = await Wire.ReadFastCgiResponseAsync(socket, 1);
        Assert.StartsWith("Status: 200 OK", response.Stdout);

        byte[] rest = await Wire.ReadToEndAsync(socket);   // returns when PyHost closes the idle connection

        Assert.Empty(rest);
    }
}
