using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Operations;

/// <summary>What the operations tests share: the command line for apps/operations.py, requests on a new connection,
/// waiting for a port to answer, and running pyhost (or any command) to its end.</summary>
public static class Ops
{
    public const string App = "operations:app";

    public static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(30);

    /// <summary>`serve APP --python ... --chdir apps OPTIONS`.</summary>
    public static List<string> Serve(string app, params string[] options) =>
        ["serve", app, "--python", Repository.Python, "--chdir", Repository.AppsDirectory, .. options];

    public static int FreePort() => PyHostServer.FreePort(IPAddress.Loopback);

    public static string Bind(int port) => $"127.0.0.1:{port}";

    /// <summary>Starts pyhost and waits for its `Listening on http://127.0.0.1:PORT` line.</summary>
    public static Task<TestProcess> StartServingAsync(int port, IEnumerable<string> arguments) =>
        TestProcess.StartServingAsync(arguments, [$"http://127.0.0.1:{port}"], Repository.AppsDirectory);

    public static async Task<RawHttpResponse> GetAsync(EndPoint endPoint, string target)
    {
        await using var connection = await RawHttpConnection.OpenAsync(endPoint);
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
    }

    public static Task<RawHttpResponse> GetAsync(int port, string target) => GetAsync(new IPEndPoint(IPAddress.Loopback, port), target);

    /// <summary>Asks until the server answers 200 (a worker is being replaced, or PyHost still starts), or fails.</summary>
    public static async Task<RawHttpResponse> GetWhenServingAsync(int port, string target, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var response = await GetAsync(port, target);
                if (response.StatusCode == 200 || DateTime.UtcNow > deadline)
                {
                    return response;
                }
            }
            catch (Exception e) when ((e is SocketException or IOException) && DateTime.UtcNow < deadline)
            {
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Whether a TCP connection to the port is accepted now (false when refused).</summary>
    public static bool Accepts(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }

    /// <summary>Runs a command to its end; its exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string StandardError)> RunAsync(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        await using var process = TestProcess.Start(fileName, arguments, workingDirectory ?? Repository.AppsDirectory, environment);
        var exitCode = await process.WaitForExitAsync(ExitDeadline);
        return (exitCode, process.Output, process.StandardError);
    }

    /// <summary>The same as nobody (group nogroup, no other groups), through util-linux's setpriv; the variables a
    /// root session has and nobody cannot use are left out.</summary>
    public static Task<(int ExitCode, string Output, string StandardError)> RunAsNobodyAsync(IEnumerable<string> pyhostArguments) =>
        RunAsync("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", Repository.PyHostExecutable, .. pyhostArguments],
            new Dictionary<string, string?> { ["XDG_RUNTIME_DIR"] = null, ["HOME"] = "/" });

    /// <summary>A directory for one test, readable and searchable by everyone (mode 0755) so other users can reach files in it.</summary>
    public static string OpenDirectory(string prefix)
    {
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        return directory;
    }

    public static int CountLines(string text, Regex pattern) => text.Split('\n').Count(pattern.IsMatch);

    /// <summary>A .NET stack trace or exception name in the output: what a user mistake must never show.</summary>
    public static readonly Regex StackTrace = new(@"^\s+at \S+\(|Exception[:(]|Unhandled exception", RegexOptions.Multiline);

    /// <summary>The user id from /etc/passwd (65534 for nobody on Debian) and the group id from /etc/group.</summary>
    public static int UserId(string user) =>
        File.ReadLines("/etc/passwd").Select(line => line.Split(':')).Where(fields => fields[0] == user).Select(fields => int.Parse(fields[2])).Single();

    public static int GroupId(string group) =>
        File.ReadLines("/etc/group").Select(line => line.Split(':')).Where(fields => fields[0] == group).Select(fields => int.Parse(fields[2])).Single();

    /// <summary>A port below 1024 nothing listens on (for the privilege tests, which run as root).</summary>
    public static int FreePrivilegedPort()
    {
        for (var port = 1023; port > 900; port--)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("No free port between 901 and 1023 on 127.0.0.1.");
    }
}
