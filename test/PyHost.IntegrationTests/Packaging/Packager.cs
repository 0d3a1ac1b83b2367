using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Packaging;

/// <summary>Runs the repository's packaging scripts and other commands to completion, for the packaging tests.</summary>
internal static class Packager
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    public static string ScriptsDirectory => Path.Combine(Repository.Root, "packaging");

    /// <summary>Runs a command; fails the test with its whole output when it exits non-zero. Returns the output.</summary>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
                                              IReadOnlyDictionary<string, string?>? environment = null)
    {
        await using var command = TestProcess.Start(fileName, arguments, workingDirectory ?? Repository.Root, environment);
        var exitCode = await command.WaitForExitAsync(CommandTimeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"exit code {exitCode}\n{command.Describe()}");
        }
        return command.Output;
    }

    /// <summary>The version the binary under test reports; the packages are named after it.</summary>
    public static async Task<string> VersionAsync() =>
        (await RunAsync(Repository.PyHostExecutable, ["--version"])).Trim();

    /// <summary>A WSGI app in a fresh directory, answering every request with <paramref name="body"/>.</summary>
    public static string WriteApp(string directory, string body)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "app.py"), $$"""
            def app(environ, start_response):
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"{{body}}"]
            """);
        return directory;
    }

    /// <summary>GET / over a new connection.</summary>
    public static async Task<RawHttpResponse> GetAsync(int port)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        await connection.SendAsync($"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
    }
}
