using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Infrastructure;

/// <summary>
/// A pyhost serving apps/observed.py from a directory of its own, with a pid file there (so its control socket is
/// site.control.sock beside it) and, when asked, the admin API on a TCP port with a token file. Dispose stops it,
/// writes what it printed to the test's output and removes the directory.
/// </summary>
public sealed class AdminSite : IAsyncDisposable
{
    public const string App = "observed:app";
    public const string Token = "test-token-0123456789abcdef";

    private readonly ITestOutputHelper _output;

    private AdminSite(TestProcess process, int port, int? adminPort, string directory, ITestOutputHelper output)
    {
        Process = process;
        Port = port;
        AdminPort = adminPort;
        Directory = directory;
        _output = output;
    }

    public TestProcess Process { get; }

    public int Port { get; }

    public int? AdminPort { get; }

    public string Directory { get; }

    public string PidFile => Path.Combine(Directory, "site.pid");

    public string ControlSocket => Path.Combine(Directory, "site.control.sock");

    public string TokenFile => Path.Combine(Directory, "admin.token");

    public string AccessLogFile => Path.Combine(Directory, "access.log");

    public string Url => $"http://127.0.0.1:{Port}";

    public string AdminUrl => $"http://127.0.0.1:{AdminPort}";

    /// <summary>The admin API over the unix socket: no token needed.</summary>
    public AdminApi Api => AdminApi.OverUnixSocket(ControlSocket);

    public static async Task<AdminSite> StartAsync(ITestOutputHelper output, IEnumerable<string>? options = null, bool adminTcp = false,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-admin-").FullName;
        File.Copy(Path.Combine(Repository.AppsDirectory, "observed.py"), Path.Combine(directory, "observed.py"));
        File.WriteAllText(Path.Combine(directory, "admin.token"), Token + "\n");
        for (int attempt = 1; ; attempt++)
        {
            int port = PyHostServer.FreePort(System.Net.IPAddress.Loopback);
            int? adminPort = adminTcp ? PyHostServer.FreePort(System.Net.IPAddress.Loopback) : null;
            List<string> arguments =
            [
                "serve", App, "-b", $"127.0.0.1:{port}", "--python", Repository.Python, "--chdir", directory,
                "--pid", Path.Combine(directory, "site.pid"), "-e", "PYTHONDONTWRITEBYTECODE=1",
                .. adminTcp ? ["--admin", $"127.0.0.1:{adminPort}", "--admin-token-file", Path.Combine(directory, "admin.token")] : Array.Empty<string>(),
                .. options ?? [],
            ];
            TestProcess process = TestProcess.Start(Repository.PyHostExecutable, arguments, directory, environment);
            try
            {
                await process.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);
                return new AdminSite(process, port, adminPort, directory, output);
            }
            catch (Exception) when (attempt < 3 && process.HasExited && process.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await process.DisposeAsync();
            }
            catch
            {
                output.WriteLine(process.Describe());
                await process.DisposeAsync();
                System.IO.Directory.Delete(directory, recursive: true);
                throw;
            }
        }
    }

    /// <summary>GET on a new connection to the site.</summary>
    public async Task<RawHttpResponse> GetAsync(string target, params string[] headers)
    {
        await using RawHttpConnection connection = await RawHttpConnection.OpenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Port));
        var request = new System.Text.StringBuilder($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{Port}\r\n");
        foreach (string header in headers)
        {
            request.Append(header).Append("\r\n");
        }
        await connection.SendAsync(request.Append("\r\n").ToString());
        return await connection.ReadResponseAsync();
    }

    public async Task<JsonElement> StatusAsync() => (await Api.GetJsonAsync("/status")).Json;

    /// <summary>The app's workers (not zygotes) from GET /status.</summary>
    public async Task<IReadOnlyList<JsonElement>> WorkersAsync() =>
        (await StatusAsync()).GetProperty("apps")[0].GetProperty("workers").EnumerateArray().Where(w => w.GetProperty("kind").GetString() == "worker").ToList();

    public async ValueTask DisposeAsync()
    {
        string header = $"--- {Process.CommandLine} (pid {Process.Id}) ---";
        try
        {
            await Process.DisposeAsync();
        }
        finally
        {
            _output.WriteLine($"{header}\n{Process.Output}\n--- end of pyhost output ---");
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
