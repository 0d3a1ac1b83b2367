using System.Net;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Proxies;

/// <summary>
/// examples/django as it is deployed: behind nginx terminating TLS, with HTTPS redirects on. When the app server
/// does not know the client came over HTTPS, a site like this redirects every request to https:// forever; here it
/// serves its pages, signs a user in through its CSRF-checked form (Django checks the Referer against the host and
/// scheme on HTTPS), and the access log names the client rather than nginx.
/// </summary>
public sealed class DjangoBehindNginxTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string User = "admin";
    private const string Password = "correct-horse-battery-staple";
    private static readonly IPAddress Client = IPAddress.Parse("127.0.0.2");

    private readonly string state = Directory.CreateTempSubdirectory("pyhost-django-proxy-").FullName;

    private static string Example => Path.Combine(Repository.Root, "examples", "django");

    public async Task InitializeAsync()
    {
        var environment = new Dictionary<string, string>
        {
            ["NOTES_DATABASE"] = Path.Combine(state, "db.sqlite3"),
            ["DJANGO_SUPERUSER_PASSWORD"] = Password,
        };
        await PythonCommand.RunAsync(Example, ["manage.py", "migrate", "--noinput", "-v", "0"], environment);
        await PythonCommand.RunAsync(Example, ["manage.py", "createsuperuser", "--noinput", "--username", User, "--email", "admin@example.com"], environment);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(state, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task BehindNginxWithTlsTheSiteServesAndSignsInInsteadOfRedirectingToHttpsForever()
    {
        await using var pyhost = await PyHostServer.StartAsync(null, [
            "mysite.wsgi:application", "-w", "2", "--access-logfile", "-",
            "-e", $"NOTES_DATABASE={Path.Combine(state, "db.sqlite3")}", "-e", "DJANGO_SECURE_SSL_REDIRECT=1",
        ], Example);
        await using var nginx = await ReverseProxy.StartNginxAsync(pyhost.Port);
        output.WriteLine(pyhost.Process.CommandLine);

        // Straight to pyhost over plain HTTP, the redirect is on: this site really does send HTTP to HTTPS.
        var direct = await pyhost.GetAsync("/notes/");
        Assert.Equal(301, direct.StatusCode);
        Assert.Equal($"https://{pyhost.Authority}/notes/", direct.Header("Location"));

        var cookies = new CookieContainer();
        using var browser = nginx.HttpsClient(Client, followRedirects: false, cookies);
        using var bounced = await browser.GetAsync("/notes/");
        Assert.True(bounced.StatusCode == HttpStatusCode.Found, $"{bounced.StatusCode} {bounced.Headers.Location}\n{pyhost.Process.Output}\n{nginx.ErrorLog}");
        Assert.Equal("/accounts/login/?next=/notes/", bounced.Headers.Location?.OriginalString);

        string loginPage = await (await browser.GetAsync("/accounts/login/?next=/notes/")).EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        string token = Regex.Match(loginPage, "name=\"csrfmiddlewaretoken\" value=\"([^\"]+)\"").Groups[1].Value;
        using var signIn = new HttpRequestMessage(HttpMethod.Post, "/accounts/login/")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["csrfmiddlewaretoken"] = token, ["username"] = User, ["password"] = Password, ["next"] = "/notes/",
            }),
        };
        signIn.Headers.Referrer = new Uri($"https://{nginx.Authority}/accounts/login/?next=/notes/");
        using var signedIn = await browser.SendAsync(signIn);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Found, $"{signedIn.StatusCode}\n{await signedIn.Content.ReadAsStringAsync()}");
        Assert.Equal("/notes/", signedIn.Headers.Location?.OriginalString);

        string notes = await (await browser.GetAsync("/notes/")).EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        Assert.Contains("Signed in as admin", notes);
        await pyhost.Process.WaitForOutputAsync(new Regex("^127\\.0\\.0\\.2 - - \\[.*\\] \"POST /accounts/login/ HTTP/1.1\" 302 "), TimeSpan.FromSeconds(5));
    }
}
