using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Configuration;

/// <summary>
/// A pyhost serving a pyhost.toml from a directory of its own, with apps/named.py beside it. The configuration text
/// may name free ports as {port0}, {port1}, ...; `site.pid` is its pid file, so `pyhost reload --pid` finds it.
/// The workers find Debian's Python through PATH (the apps name no interpreter).
/// </summary>
public sealed class ConfiguredServer : IAsyncDisposable
{
    private readonly ITestOutputHelper? _output;

    private ConfiguredServer(string directory, TestProcess process, int[] ports, ITestOutputHelper? output)
    {
        Directory = directory;
        Process = process;
        Ports = ports;
        _output = output;
    }

    public string Directory { get; }

    public TestProcess Process { get; }

    public int[] Ports { get; }

    public string ConfigPath => Path.Combine(Directory, "pyhost.toml");

    public string PidFile => Path.Combine(Directory, "site.pid");

    public static readonly IReadOnlyDictionary<string, string?> DebianPython = new Dictionary<string, string?>
    {
        ["PATH"] = "/usr/bin:/bin:" + Environment.GetEnvironmentVariable("PATH"),
        ["VIRTUAL_ENV"] = null,
        ["PYTHONDONTWRITEBYTECODE"] = "1",
    };

    public static async Task<ConfiguredServer> StartAsync(ITestOutputHelper? output, string toml, int ports = 1, params string[] arguments)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-config-").FullName;
        File.Copy(Path.Combine(Repository.AppsDirectory, "named.py"), Path.Combine(directory, "named.py"));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "public"));
        File.WriteAllText(Path.Combine(directory, "public", "hello.txt"), "hello from the front\n");
        int[] free = Enumerable.Range(0, ports).Select(_ => PyHostServer.FreePort(System.Net.IPAddress.Loopback)).ToArray();
        File.WriteAllText(Path.Combine(directory, "pyhost.toml"), Fill(toml, free));
        TestProcess process = TestProcess.Start(Repository.PyHostExecutable, ["serve", .. arguments], directory, DebianPython);
        var server = new ConfiguredServer(directory, process, free, output);
        try
        {
            await process.WaitForOutputAsync(new System.Text.RegularExpressions.Regex("Control socket: "), TestProcess.StartTimeout);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Replaces the configuration file (not yet applied: send SIGHUP or `pyhost reload`).</summary>
    public void WriteConfig(string toml) => File.WriteAllText(ConfigPath, Fill(toml, Ports));

    private static string Fill(string toml, int[] ports)
    {
        for (int i = 0; i < ports.Length; i++)
        {
            toml = toml.Replace($"{{port{i}}}", ports[i].ToString());
        }
        return toml;
    }

    /// <summary>A request with this Host header to a listener's port; the answer as it came.</summary>
    public async Task<RawHttpResponse> RequestAsync(string host, string target, string method = "GET", int port = -1)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port < 0 ? Ports[0] : port));
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
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
