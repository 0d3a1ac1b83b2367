using System.Net;
using System.Security.Cryptography.X509Certificates;
using PyHost.FrameworkTests.Infrastructure;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.FrameworkTests.Examples;

/// <summary>
/// examples/sites/pyhost.toml as its header says to run it: the Django and Flask examples and a static site on their
/// own host names, over HTTP and over HTTPS with the local CA. The file is served as written except for its two ports
/// (free ones here) and its relative paths (made absolute, since the copy lives in a temporary directory).
/// </summary>
public sealed class ExampleSitesTests(ExampleSitesServer sites) : IClassFixture<ExampleSitesServer>
{

    [Theory]
    [InlineData("notes.localhost", "/", 200, "Notes")]
    [InlineData("notes.localhost", "/static/notes/site.css", 200, "")]
    [InlineData("gallery.localhost", "/", 200, "Gallery")]
    [InlineData("www.gallery.localhost", "/", 200, "Gallery")]
    [InlineData("docs.localhost", "/", 200, "<html")]
    [InlineData("api.docs.localhost", "/index.html", 200, "<html")]
    [InlineData("elsewhere.test", "/", 404, "No site here: try notes.localhost")]
    public async Task EachHostNameReachesItsSite(string host, string target, int status, string text)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{sites.HttpPort}{target}");
        request.Headers.Host = host;
        using HttpResponseMessage response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.True(status == (int)response.StatusCode, $"{host}{target}: {(int)response.StatusCode}\n{body}\n{sites.Server!.Describe()}");
        Assert.Contains(text, body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HttpsServesEachNameACertificateOfTheLocalCa()
    {
        string root = Path.Combine(sites.State, "state", "pyhost", "local-ca", "root.pem");
        using X509Certificate2 authority = X509Certificate2.CreateFromPem(File.ReadAllText(root));
        foreach (string host in new[] { "notes.localhost", "gallery.localhost" })
        {
            // TlsClient checks the chain against the local CA alone and the name against the certificate.
            using var client = new TlsClient(sites.HttpsPort, [authority]);
            using HttpResponseMessage response = await client.GetAsync($"https://{host}:{sites.HttpsPort}/");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Single(client.Seen);
        }
    }
}

/// <summary>One server for the class: migrating the database and booting two apps is the slow part.</summary>
public sealed class ExampleSitesServer : IAsyncLifetime
{
    public string State { get; } = Directory.CreateTempSubdirectory("pyhost-sites-").FullName;

    public int HttpPort { get; } = PyHostServer.FreePort(IPAddress.Loopback);

    public int HttpsPort { get; } = PyHostServer.FreePort(IPAddress.Loopback);

    public TestProcess? Server { get; private set; }

    public async Task InitializeAsync() =>
        Server = await ExampleSites.StartAsync(State, ExampleSites.Config(HttpPort, HttpsPort), HttpsPort);

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        Directory.Delete(State, recursive: true);
    }
}

/// <summary>How the example-sites tests run examples/sites/pyhost.toml: the notes app's database migrated into the
/// test's directory, the file's ports and relative paths replaced, the state directory the test's own.</summary>
public static class ExampleSites
{
    private static string Sites => Path.Combine(Repository.Root, "examples", "sites");

    /// <summary>The example file with free ports for 8000 and 8443 and its relative paths made absolute.</summary>
    public static string Config(int httpPort, int httpsPort) =>
        File.ReadAllText(Path.Combine(Sites, "pyhost.toml"))
            .Replace("127.0.0.1:8000", $"127.0.0.1:{httpPort}")
            .Replace("127.0.0.1:8443", $"127.0.0.1:{httpsPort}")
            .Replace("\"../", $"\"{Path.GetFullPath(Path.Combine(Sites, ".."))}/")
            .Replace("static = \"public\"", $"static = \"{Path.Combine(Sites, "public")}\"")
            .Replace("#:schema ../../docs/pyhost.schema.json", "");

    /// <summary>Migrates the notes database, writes <paramref name="config"/> into <paramref name="state"/> and serves
    /// it until the HTTPS listener is up.</summary>
    public static async Task<TestProcess> StartAsync(string state, string config, int httpsPort, IReadOnlyDictionary<string, string?>? environment = null)
    {
        string database = Path.Combine(state, "notes.sqlite3");
        await PythonCommand.RunAsync(Path.Combine(Repository.Root, "examples", "django"), ["manage.py", "migrate", "--noinput", "-v", "0"],
            new Dictionary<string, string> { ["NOTES_DATABASE"] = database });
        string path = Path.Combine(state, "pyhost.toml");
        File.WriteAllText(path, config);
        // The apps' interpreter is python3 on PATH, as the example leaves it: Debian's, which has Django and Flask.
        var variables = new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["VIRTUAL_ENV"] = null,
            ["NOTES_DATABASE"] = database,
            ["XDG_STATE_HOME"] = Path.Combine(state, "state"),
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            variables[name] = value;
        }
        TestProcess server = TestProcess.Start(Repository.PyHostExecutable, ["serve", "-c", path], state, variables);
        try
        {
            await server.WaitForOutputAsync(TestProcess.ListeningOn($"https://127.0.0.1:{httpsPort}"), TestProcess.StartTimeout);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }
}
