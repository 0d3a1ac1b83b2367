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

    private static string Sites => Path.Combine(Repository.Root, "examples", "sites");

    public async Task InitializeAsync()
    {
        string database = Path.Combine(State, "notes.sqlite3");
        await PythonCommand.RunAsync(Path.Combine(Repository.Root, "examples", "django"), ["manage.py", "migrate", "--noinput", "-v", "0"],
            new Dictionary<string, string> { ["NOTES_DATABASE"] = database });

        string config = File.ReadAllText(Path.Combine(Sites, "pyhost.toml"))
            .Replace("127.0.0.1:8000", $"127.0.0.1:{HttpPort}")
            .Replace("127.0.0.1:8443", $"127.0.0.1:{HttpsPort}")
            .Replace("\"../", $"\"{Path.GetFullPath(Path.Combine(Sites, ".."))}/")
            .Replace("static = \"public\"", $"static = \"{Path.Combine(Sites, "public")}\"")
            .Replace("#:schema ../../docs/pyhost.schema.json", "");
        string path = Path.Combine(State, "pyhost.toml");
        File.WriteAllText(path, config);
        // The apps' interpreter is python3 on PATH, as the example leaves it: Debian's, which has Django and Flask.
        Server = TestProcess.Start(Repository.PyHostExecutable, ["serve", "-c", path], State, new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["VIRTUAL_ENV"] = null,
            ["NOTES_DATABASE"] = database,
            ["XDG_STATE_HOME"] = Path.Combine(State, "state"),
        });
        await Server.WaitForOutputAsync(TestProcess.ListeningOn($"https://127.0.0.1:{HttpsPort}"), TestProcess.StartTimeout);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        Directory.Delete(State, recursive: true);
    }
}
