using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxies;

/// <summary>
/// The echo apps behind Debian's real nginx (TLS, X-Forwarded-*) and HAProxy (PROXY protocol v1 and v2). The test
/// client connects from 127.0.0.2, so the client the app and the access log name is told apart from the proxy
/// (127.0.0.1, the trusted peer).
/// </summary>
public sealed class RealProxyTests(ITestOutputHelper output)
{
    private static readonly IPAddress Client = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task BehindNginxTerminatingTlsTheAppSeesHttpsTheClientAndTheUrlItUsed()
    {
        await using var pyhost = await StartPyHostAsync();
        await using var nginx = await ReverseProxy.StartNginxAsync(pyhost.Port);
        using var client = nginx.HttpsClient(Client);
        string tag = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/echo/{tag}");
        // A client's own X-Forwarded-For is kept by nginx, with the address nginx saw appended: it must not count.
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");

        using var response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}\n{body}\n{nginx.ErrorLog}");
        var environ = JsonDocument.Parse(body).RootElement.GetProperty("environ");
        Assert.Equal("https", environ.GetProperty("wsgi.url_scheme").GetString());
        Assert.Equal("127.0.0.2", environ.GetProperty("REMOTE_ADDR").GetString());
        Assert.Equal(nginx.Authority, environ.GetProperty("HTTP_HOST").GetString());
        Assert.Equal(nginx.Port.ToString(), environ.GetProperty("SERVER_PORT").GetString());
        Assert.Equal("6.6.6.6, 127.0.0.2", environ.GetProperty("HTTP_X_FORWARDED_FOR").GetString());
        await pyhost.Process.WaitForOutputAsync(new Regex($"^127\\.0\\.0\\.2 - - \\[.*\\] \"GET /echo/{tag} HTTP/1.1\" 200 "), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("send-proxy")]
    [InlineData("send-proxy-v2")]
    public async Task BehindHAProxyThePeerItNamesIsTheClientOfTheAppAndTheAccessLog(string sendProxy)
    {
        await using var pyhost = await StartPyHostAsync("--proxy-protocol");
        await using var haproxy = await ReverseProxy.StartHAProxyAsync(pyhost.Port, sendProxy);
        string tag = Guid.NewGuid().ToString("N");
        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, haproxy.Port), Client);
        await connection.SendAsync($"GET /echo/{tag} HTTP/1.1\r\nHost: {haproxy.Authority}\r\n\r\n");

        var environ = (await connection.ReadResponseAsync()).AssertStatus(200).Environ();
        await connection.SendAsync($"GET /echo/again HTTP/1.1\r\nHost: {haproxy.Authority}\r\n\r\n");
        var again = (await connection.ReadResponseAsync()).AssertStatus(200).Environ();

        Assert.Equal("127.0.0.2", environ["REMOTE_ADDR"].GetString());
        Assert.NotEqual("0", environ["REMOTE_PORT"].GetString());
        Assert.Equal("127.0.0.2", again["REMOTE_ADDR"].GetString());
        await pyhost.Process.WaitForOutputAsync(new Regex($"^127\\.0\\.0\\.2 - - \\[.*\\] \"GET /echo/{tag} HTTP/1.1\" 200 "), TimeSpan.FromSeconds(5));
    }

    private async Task<PyHostServer> StartPyHostAsync(params string[] options)
    {
        var server = await PyHostServer.StartAsync("pep3333:app", ["--chdir", Repository.AppsDirectory, "-w", "1", "--access-logfile", "-", .. options]);
        output.WriteLine(server.Process.CommandLine);
        return server;
    }
}
