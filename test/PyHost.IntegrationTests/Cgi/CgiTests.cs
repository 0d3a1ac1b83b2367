using System.Net;
using System.Net.Http;
using System.Text;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Cgi;

/// <summary>
/// <c>--cgi</c>: the same scripts behind pyhost and behind Apache's mod_cgid must give the same status, the same
/// headers that matter and the same body (RFC 3875: meta-variables, stdin, Status, local and client redirects).
/// </summary>
public sealed class CgiTests(CgiSite site, ITestOutputHelper output) : IClassFixture<CgiSite>, IDisposable
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
    private static readonly string[] HeadersThatMatter = ["Content-Type", "Location", "X-Script", "X-Shell"];

    private readonly int _firstLine = site.PyHost.Process.LineCount;

    public void Dispose()
    {
        output.WriteLine($"pyhost output during this test:\n{site.PyHost.Process.OutputSince(_firstLine)}");
        GC.SuppressFinalize(this);
    }

    public static TheoryData<string, string, string?> ComparedRequests => new()
    {
        { "GET", "/cgi-bin/env.py/extra/w%C3%B6rld?x=1&y=%20", null },
        { "POST", "/cgi-bin/env.py?form=1", "a=1&b=2" },
        { "POST", "/cgi-bin/env.py/big", new string('z', 1024 * 1024) },
        { "GET", "/cgi-bin/hello.sh?x=2", null },
        { "HEAD", "/cgi-bin/hello.sh", null },
        { "POST", "/cgi-bin/local-redirect.sh", "a body the redirect drops" },
        { "GET", "/cgi-bin/client-redirect.sh", null },
        { "GET", "/cgi-bin/not-found.sh", null },
    };

    [Theory]
    [MemberData(nameof(ComparedRequests))]
    public async Task PyHostAnswersAsApacheModCgidDoes(string method, string target, string? body)
    {
        var (pyhost, pyhostBody) = await SendAsync(site.PyHost.Port, method, target, body);
        var (apache, apacheBody) = await SendAsync(site.ApachePort, method, target, body);
        string context = $"\n--- pyhost ---\n{Describe(pyhost, pyhostBody)}\n--- Apache ---\n{Describe(apache, apacheBody)}";

        Assert.True(pyhost.StatusCode == apache.StatusCode, "The statuses differ." + context);
        // A client redirect's body is each server's own short page, with its own Content-Type.
        bool serversOwnBody = pyhost.StatusCode == HttpStatusCode.Found;
        foreach (string header in HeadersThatMatter.Where(name => !(serversOwnBody && name == "Content-Type")))
        {
            Assert.True(Header(pyhost, header) == Header(apache, header), $"{header} differs." + context);
        }
        if (!serversOwnBody)
        {
            Assert.True(pyhostBody == apacheBody, "The bodies differ." + context);
        }
    }

    [Theory]
    [InlineData("/cgi-bin/no-headers.sh", 500)]
    [InlineData("/cgi-bin/not-executable.sh", 500)]
    [InlineData("/cgi-bin/missing.py", 404)]
    public async Task BrokenScriptsGetTheStatusApacheGives(string target, int status)
    {
        var (pyhost, pyhostBody) = await SendAsync(site.PyHost.Port, "GET", target, null);
        var (apache, _) = await SendAsync(site.ApachePort, "GET", target, null);

        Assert.Equal(status, (int)apache.StatusCode);
        Assert.True((int)pyhost.StatusCode == status, Describe(pyhost, pyhostBody));
    }

    [Fact]
    public async Task ASingleScriptAnswersEveryPathUnderItsPrefix()
    {
        var (response, body) = await SendAsync(site.PyHost.Port, "GET", "/one/some/where?q=1", null);

        Assert.True(response.StatusCode == HttpStatusCode.OK, Describe(response, body));
        Assert.Contains("SCRIPT_NAME=/one\n", body);
        Assert.Contains("PATH_INFO=/some/where\n", body);
        Assert.Contains("QUERY_STRING=q=1\n", body);
    }

    [Fact]
    public async Task TheScriptsStderrGoesToTheErrorLog()
    {
        var (response, body) = await SendAsync(site.PyHost.Port, "GET", "/cgi-bin/stderr.sh", null);

        Assert.Equal("done\n", body);
        await site.PyHost.Process.WaitForOutputAsync(
            new System.Text.RegularExpressions.Regex(@"\[WARNING\] .*stderr\.sh: a warning from the script"), TimeSpan.FromSeconds(5), _firstLine);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AScriptPastTheTimeoutGets504AndItsWholeProcessGroupIsKilled()
    {
        var (response, body) = await SendAsync(site.PyHost.Port, "GET", "/cgi-bin/hang.sh", null);

        Assert.True(response.StatusCode == HttpStatusCode.GatewayTimeout, Describe(response, body));
        int[] pids = File.ReadAllText(Path.Combine(site.Directory, "hang.pids")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.True(await Eventually.HoldsAsync(() => pids.All(pid => !Posix.IsAlive(pid)), TimeSpan.FromSeconds(5)),
            $"The script ({pids[0]}) or its background child ({pids[1]}) still runs after the timeout.");
    }

    [Fact]
    public async Task ABodyOverMaxRequestBodyGets413()
    {
        await using PyHostServer server = await PyHostServer.StartAsync(null,
            ["--chdir", site.Directory, "-w", "1", "--cgi", $"/cgi-bin={site.ScriptDirectory}", "--max-request-body", "1k"]);

        var (within, withinBody) = await SendAsync(server.Port, "POST", "/cgi-bin/env.py", new string('x', 1024));
        Assert.True(within.StatusCode == HttpStatusCode.OK, Describe(within, withinBody));
        Assert.Contains("body=1024 ", withinBody);

        var (declared, declaredBody) = await SendAsync(server.Port, "POST", "/cgi-bin/env.py", new string('x', 1025));
        Assert.True(declared.StatusCode == HttpStatusCode.RequestEntityTooLarge, Describe(declared, declaredBody));
        Assert.True(declared.Headers.ConnectionClose);   // the body was not read

        // A chunked body is stopped when it passes the limit, while it is read; the client is told.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{server.Port}/cgi-bin/env.py")
        {
            Content = new StreamContent(new MemoryStream(new byte[5000])),
        };
        chunked.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage streamed = await Client.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
    }

    /// <summary>-u/-g: the scripts run as the app's user, as the workers do, while the front stays root.</summary>
    [RootFact]
    public async Task ScriptsRunAsTheAppsUser()
    {
        await using PyHostServer server = await PyHostServer.StartAsync(null,
            ["--chdir", site.Directory, "-w", "1", "-u", "nobody", "-g", "nogroup", "--cgi", $"/cgi-bin={site.ScriptDirectory}"]);

        var (response, body) = await SendAsync(server.Port, "GET", "/cgi-bin/whoami.sh", null);

        Assert.True(response.StatusCode == HttpStatusCode.OK, Describe(response, body));
        Assert.Equal($"uid={Id("passwd", "nobody")} gid={Id("group", "nogroup")}\n", body);
    }

    private static string Id(string database, string name) =>
        File.ReadLines($"/etc/{database}").Select(line => line.Split(':')).Single(fields => fields[0] == name)[2];

    private static async Task<(HttpResponseMessage Response, string Body)> SendAsync(int port, string method, string target, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), $"http://127.0.0.1:{port}{target}");
        request.Headers.Add("X-Custom", "custom value");
        request.Headers.Add("Cookie", "a=1; b=2");
        request.Headers.TryAddWithoutValidation("Proxy", "http://attacker.example/");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic dXNlcjpwYXNz");
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded");
        }
        HttpResponseMessage response = await Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;

    private static string Describe(HttpResponseMessage response, string body) =>
        $"{(int)response.StatusCode} {response.ReasonPhrase}\n{response.Headers}{response.Content.Headers}\n{body[..Math.Min(body.Length, 3000)]}";
}
