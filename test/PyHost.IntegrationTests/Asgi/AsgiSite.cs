using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>
/// A pyhost serving apps/asgi_features.py with its own directory (ASGI_FEATURES_DIR: the generation file, files to
/// send). Dispose stops it and writes what it printed to the test's output.
/// </summary>
public sealed class AsgiSite : IAsyncDisposable
{
    private readonly ITestOutputHelper output;

    private AsgiSite(PyHostServer server, string directory, ITestOutputHelper output)
    {
        Server = server;
        Directory = directory;
        this.output = output;
    }

    public PyHostServer Server { get; }

    public TestProcess Process => Server.Process;

    public string Directory { get; }

    public string WebSocketUrl(string path) => $"ws://{Server.Authority}{path}";

    public IReadOnlyList<int> Workers => Posix.Descendants(Process.Id);

    public static async Task<AsgiSite> StartAsync(ITestOutputHelper output, IEnumerable<string> options, string app = "asgi_features:app")
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-asgi-").FullName;
        try
        {
            PyHostServer server = await PyHostServer.StartAsync(app, ["--chdir", Repository.AppsDirectory, "-e", $"ASGI_FEATURES_DIR={directory}", .. options]);
            return new AsgiSite(server, directory, output);
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public void WriteGeneration(string generation) => File.WriteAllText(Path.Combine(Directory, "generation"), generation);

    public async Task<JsonElement> GetJsonAsync(string target)
    {
        RawHttpResponse response = await Server.GetAsync(target);
        response.AssertStatus(200);
        return response.Json();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Server.DisposeAsync();
        }
        finally
        {
            output.WriteLine($"--- {Process.CommandLine} ---\n{Process.Output}");
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
