using System.Net;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Http;

/// <summary>Persistent connections, pipelining (RFC 9112 §9.3), HEAD, and HTTP/2 with prior knowledge.</summary>
public sealed class ConnectionTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    [Fact]
    public async Task ConnectionStaysOpenForTheNextRequest()
    {
        await using var connection = await Server.ConnectAsync();

        foreach (var path in new[] { "/echo/first", "/echo/second" })
        {
            await connection.SendAsync(Server.Request("GET", path));
            var response = await connection.ReadResponseAsync();
            Assert.Equal(path, response.AssertStatus(200).Environ()["PATH_INFO"].GetString());
        }
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        string[] paths = ["/echo/one", "/echo/two", "/echo/three"];
        await using var connection = await Server.ConnectAsync();

        await connection.SendAsync(string.Concat(paths.Select(path => Server.Request("GET", path))));

        foreach (var path in paths)
        {
            var response = await connection.ReadResponseAsync();
            Assert.Equal(path, response.AssertStatus(200).Environ()["PATH_INFO"].GetString());
        }
    }

    [Fact]
    public async Task HeadHasTheHeadersOfGetAndNoBody()
    {
        var get = (await Server.GetAsync("/list")).AssertStatus(200);
        await using var connection = await Server.ConnectAsync();

        // A HEAD that leaked body bytes would corrupt the pipelined response after it.
        await connection.SendAsync(Server.Request("HEAD", "/list") + Server.Request("GET", "/echo/after-head"));
        var head = await connection.ReadResponseAsync(bodyAllowed: false);
        var next = await connection.ReadResponseAsync();

        head.AssertStatus(200);
        Assert.Equal(get.Header("Content-Length"), head.Header("Content-Length"));
        Assert.Equal(get.Header("Content-Type"), head.Header("Content-Type"));
        Assert.Equal("/echo/after-head", next.AssertStatus(200).Environ()["PATH_INFO"].GetString());
    }

    [Fact]
    public async Task Http2WithPriorKnowledgeIsServedAsHttp2()
    {
        using var client = new HttpClient
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = RawHttpConnection.DefaultTimeout,
        };

        using var response = await client.GetAsync($"http://{Server.Authority}/echo/h2");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(HttpVersion.Version20, response.Version);
        var environ = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("environ");
        Assert.StartsWith("HTTP/2", environ.GetProperty("SERVER_PROTOCOL").GetString());
        Assert.Equal("/echo/h2", environ.GetProperty("PATH_INFO").GetString());
    }
}
