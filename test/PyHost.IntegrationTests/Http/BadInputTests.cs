using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Http;

/// <summary>Bad input gets a clear answer (a status and a short page) and never costs another request.</summary>
public sealed class BadInputTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    [Fact]
    public async Task MalformedChunkedBodyGets400SayingWhyAndTheServerKeepsServing()
    {
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(
            "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nbad\r\n0\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        response.AssertStatus(400);
        Assert.Contains("request body could not be read", response.BodyText);
        (await Server.GetAsync("/echo/after-bad-body")).AssertStatus(200);
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: test\r\nBad Header Name: y\r\n\r\n", 400)]
    public async Task MalformedRequestGetsAClientErrorAndTheServerKeepsServing(string request, int expectedStatus)
    {
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(request);

        (await connection.ReadResponseAsync()).AssertStatus(expectedStatus);
        (await Server.GetAsync("/echo/after-bad-request")).AssertStatus(200);
    }

    [Fact]
    public async Task OversizedHeadersGet431AndTheServerKeepsServing()
    {
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync($"GET /x HTTP/1.1\r\nHost: test\r\nX-Huge: {new string('a', 64 * 1024)}\r\n\r\n");

        (await connection.ReadResponseAsync()).AssertStatus(431);
        (await Server.GetAsync("/echo/after-huge-headers")).AssertStatus(200);
    }
}
