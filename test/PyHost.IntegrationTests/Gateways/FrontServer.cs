using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>
/// nginx, Apache httpd or lighttpd from Debian's packages, run in the foreground with a configuration the test wrote,
/// in a directory of its own: nothing of the system's installation is used or changed. Stopped by its pid.
/// </summary>
public sealed class FrontServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private FrontServer(string name, TestProcess process, string errorLog)
    {
        Name = name;
        Process = process;
        ErrorLog = errorLog;
    }

    public string Name { get; }

    public TestProcess Process { get; }

    public string ErrorLog { get; }

    /// <summary>Starts the server and waits until every port accepts connections.</summary>
    public static async Task<FrontServer> StartAsync(string name, string executable, IEnumerable<string> arguments, string directory, string errorLog, IEnumerable<int> ports)
    {
        TestProcess process = TestProcess.Start(executable, arguments, directory, new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin",
            // Apache reads its run-time settings from the environment of apache2ctl; given directly here.
            ["APACHE_RUN_DIR"] = directory,
            ["APACHE_LOCK_DIR"] = directory,
            ["APACHE_LOG_DIR"] = directory,
        });
        var server = new FrontServer(name, process, errorLog);
        try
        {
            foreach (int port in ports)
            {
                await WaitForPortAsync(server, port);
            }
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the server printed and logged, for failure messages.</summary>
    public string Describe() =>
        $"{Process.Describe()}\n--- {ErrorLog} ---\n{(File.Exists(ErrorLog) ? File.ReadAllText(ErrorLog) : "(none)")}";

    private static async Task WaitForPortAsync(FrontServer server, int port)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < StartTimeout && !server.Process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException($"{server.Name} does not listen on port {port}.\n{server.Describe()}");
            }
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
