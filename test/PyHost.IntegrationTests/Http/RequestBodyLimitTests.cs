using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Http;

/// <summary>The front reads request bodies before a worker is involved: what is wrong with a body is answered there.</summary>
public sealed class RequestBodyLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ADeclaredLengthOverTheLimitGets413AtOnceWithoutTheBodyBeingSentOrTheAppRun()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--max-request-body", "1m"]);
        await using RawHttpConnection connection = await site.Server.ConnectAsync();

        await connection.SendAsync(site.Server.Request("POST", "/touch?name=big", ["Content-Length: 2000000"]));
        RawHttpResponse response = await connection.ReadResponseAsync();

        response.AssertStatus(413);
        Assert.Equal("close", response.Header("Connection"));
        Assert.Contains("larger than this server accepts", response.BodyText);
        Assert.False(File.Exists(Path.Combine(site.AppDirectory, "touched-big")));
    }

    [Fact]
    public async Task AChunkedBodyThatGrowsPastTheLimitGets413AndTheAppNeverRuns()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1", "--max-request-body", "100k"]);
        await using RawHttpConnection connection = await site.Server.ConnectAsync();
        await connection.SendAsync(site.Server.Request("POST", "/touch?name=chunked", ["Transfer-Encoding: chunked"]));
        string chunk = new('x', 50_000);

        for (int i = 0; i < 3; i++)
        {
            await connection.SendAsync($"{chunk.Length:x}\r\n{chunk}\r\n");
        }
        RawHttpResponse response = await connection.ReadResponseAsync();

        response.AssertStatus(413);
        Assert.False(File.Exists(Path.Combine(site.AppDirectory, "touched-chunked")));
    }

    [Fact]
    public async Task AMalformedChunkedBodyIsTheClientsFault400AndCloseWithoutTheApp()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1"]);
        await using RawHttpConnection connection = await site.Server.ConnectAsync();

        await connection.SendAsync(site.Server.Request("POST", "/touch?name=malformed", ["Transfer-Encoding: chunked"]) + "5\r\nhello\r\nzz\r\n");
        RawHttpResponse response = await connection.ReadResponseAsync();

        response.AssertStatus(400);
        Assert.Equal("close", response.Header("Connection"));
        Assert.False(File.Exists(Path.Combine(site.AppDirectory, "touched-malformed")));
        (await site.Server.GetAsync("/")).AssertStatus(200);
    }

    [Fact]
    public async Task AChunkedUploadIsHandedToTheAppWithTheLengthTheFrontCounted()
    {
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "1"]);
        await using RawHttpConnection connection = await site.Server.ConnectAsync();

        await connection.SendAsync(site.Server.Request("POST", "/upload", ["Transfer-Encoding: chunked"]) + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        var report = (await connection.ReadResponseAsync()).AssertStatus(200).Json();

        Assert.Equal(11, report.GetProperty("length").GetInt32());
        Assert.Equal("11", report.GetProperty("content_length").GetString());
    }
}
