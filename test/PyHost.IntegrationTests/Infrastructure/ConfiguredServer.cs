using System.Net;
using System.Text.RegularExpressions;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// pyhost serving the pep3333 test app with a pyhost.toml the test writes: {PORT0}, {PORT1}, ... in the text become
/// free loopback ports, and the start waits for each listener's ready line.
/// </summary>
public sealed class ConfiguredServer : IAsyncDisposable
{
    private ConfiguredServer(TestProcess process, int[] ports, string configPath)
    {
        Process = process;
        Ports = ports;
        ConfigPath = configPath;
    }

    public TestProcess Process { get; }

    public IReadOnlyList<int> Ports { get; }

    public string ConfigPath { get; }

    public static int[] FreePorts(int count) => Enumerable.Range(0, count).Select(_ => PyHostServer.FreePort(IPAddress.Loopback)).ToArray();

    public static string Fill(string template, IReadOnlyList<int> ports)
    {
        string text = template;
        for (int i = 0; i < ports.Count; i++)
        {
            text = text.Replace($"{{PORT{i}}}", ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return text;
    }

    /// <summary>Writes the config into <paramref name="directory"/> and starts; <paramref name="ports"/> default to fresh free ones.</summary>
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
            return new ConfiguredServer(process, ports, config);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
