using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// pyhost serving a pyhost.toml the test writes; {port0}, {port1}, ... in the text become free loopback ports. Two
/// starts: <see cref="StartAsync(ITestOutputHelper?, string, int, string[])"/> serves from a directory of its own
/// with apps/named.py and public/hello.txt beside the file (the workers find Debian's Python through PATH; `site.pid`
/// is the pid file when the arguments ask for one); <see cref="StartAsync(TemporaryDirectory, string, int,
/// IEnumerable{string}?, int[]?)"/> serves the pep3333 app with <c>-c</c> and waits for each listener's ready line.
/// </summary>
public sealed class ConfiguredServer : IAsyncDisposable
{
    private readonly ITestOutputHelper? _output;
    private bool _ownsDirectory;

    private ConfiguredServer(string directory, string configPath, TestProcess process, int[] ports, ITestOutputHelper? output, bool ownsDirectory)
    {
        Directory = directory;
        ConfigPath = configPath;
        Process = process;
        Ports = ports;
        _output = output;
        _ownsDirectory = ownsDirectory;
    }

    public string Directory { get; }

    public string ConfigPath { get; }

    public TestProcess Process { get; }

    public IReadOnlyList<int> Ports { get; }

    public string PidFile => Path.Combine(Directory, "site.pid");

    public static readonly IReadOnlyDictionary<string, string?> DebianPython = new Dictionary<string, string?>
    {
        ["PATH"] = "/usr/bin:/bin:" + Environment.GetEnvironmentVariable("PATH"),
        ["VIRTUAL_ENV"] = null,
        ["PYTHONDONTWRITEBYTECODE"] = "1",
    };

    public static int[] FreePorts(int count) => Enumerable.Range(0, count).Select(_ => PyHostServer.FreePort(IPAddress.Loopback)).ToArray();

    public static string Fill(string template, IReadOnlyList<int> ports)
    {
        string text = template;
        for (int i = 0; i < ports.Count; i++)
        {
            text = text.Replace($"{{port{i}}}", ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return text;
    }

    /// <summary>`pyhost serve ARGUMENTS` in a new directory holding the file, apps/named.py and public/hello.txt; started
    /// once the control socket is announced.</summary>
    public static async Task<ConfiguredServer> StartAsync(ITestOutputHelper? output, string toml, int ports = 1, params string[] arguments)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-config-").FullName;
        File.Copy(Path.Combine(Repository.AppsDirectory, "named.py"), Path.Combine(directory, "named.py"));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "public"));
        File.WriteAllText(Path.Combine(directory, "public", "hello.txt"), "hello from the front\n");
        string config = Path.Combine(directory, "pyhost.toml");
        for (int attempt = 1; ; attempt++)
        {
            // A port found free may be taken by another test's server before this one binds it (servers started
            // side by side pick from the same pool): then pyhost says so and exits, and the start is tried again.
            int[] free = FreePorts(ports);
            File.WriteAllText(config, Fill(toml, free));
            TestProcess process = TestProcess.Start(Repository.PyHostExecutable, ["serve", .. arguments], directory, DebianPython);
            var server = new ConfiguredServer(directory, config, process, free, output, ownsDirectory: false);
            try
            {
                await process.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);
                server._ownsDirectory = true;
                return server;
            }
            catch (Exception) when (PyHostServer.LostItsPort(process, attempt))
            {
                await server.DisposeAsync();
            }
            catch
            {
                server._ownsDirectory = true;
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Writes the config into <paramref name="directory"/> and serves the pep3333 app with it, started once every
    /// listener is; <paramref name="ports"/> default to fresh free ones.</summary>
    public static async Task<ConfiguredServer> StartAsync(TemporaryDirectory directory, string template, int portCount, IEnumerable<string>? extraArguments = null, int[]? ports = null)
    {
        ports ??= FreePorts(portCount);
        string config = directory.Write("pyhost.toml", Fill(template, ports));
        var process = TestProcess.Start(["serve", "pep3333:app", "-c", config, "--python", Repository.Python, "-w", "1", .. extraArguments ?? []]);
        try
        {
            foreach (Match listen in Regex.Matches(File.ReadAllText(config), "address = \"([^\"]+)\"(?:\\s*\\n\\s*tls = \"(\\w+)\")?"))
            {
                string scheme = listen.Groups[2].Success && listen.Groups[2].Value != "none" ? "https" : "http";
                await process.WaitForOutputAsync(TestProcess.ListeningOn($"{scheme}://{listen.Groups[1].Value}"), TestProcess.StartTimeout);
            }
            return new ConfiguredServer(directory.Path, config, process, ports, output: null, ownsDirectory: false);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Replaces the configuration file (not yet applied: send SIGHUP or `pyhost reload`).</summary>
    public void WriteConfig(string toml) => File.WriteAllText(ConfigPath, Fill(toml, Ports));

    /// <summary>A request with this Host header to a listener's port; the answer as it came.</summary>
    public async Task<RawHttpResponse> RequestAsync(string host, string target, string method = "GET", int port = -1)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, port < 0 ? Ports[0] : port));
        await connection.SendAsync($"{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return await connection.ReadResponseAsync(bodyAllowed: method != "HEAD");
    }

    /// <summary>What apps/named.py answered.</summary>
    public async Task<JsonElement> AppAsync(string host, string target, string method = "GET", int port = -1) =>
        (await RequestAsync(host, target, method, port)).AssertStatus(200).Json();

    /// <summary>`pyhost reload --pid site.pid`: its exit status and what it printed.</summary>
    public async Task<(int ExitCode, string Output)> ReloadAsync()
    {
        await using TestProcess reload = TestProcess.Start(Repository.PyHostExecutable, ["reload", "--pid", PidFile], Directory);
        int exit = await reload.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, reload.Output);
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        _output?.WriteLine(Process.Describe());
        if (!_ownsDirectory)
        {
            return;
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
