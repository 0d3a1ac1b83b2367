using System.Text;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Pep3333;

/// <summary>
/// PEP 3333: "If the iterable returned by the application has a close() method, the server or gateway must call that
/// method upon completion of the current request, whether the request was completed normally, or terminated early
/// due to an application error during iteration or an early disconnect of the browser."
/// The apps append their tag to closed.log in the test directory: workers are separate processes.
/// </summary>
public sealed class CloseTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    private static readonly TimeSpan CloseDeadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task CloseIsCalledAfterASuccessfulResponse()
    {
        var tag = NewTag();

        var response = await Server.GetAsync($"/close/ok?tag={tag}");

        response.AssertStatus(200);
        Assert.Equal("all good", response.BodyText);
        Assert.True(await Eventually.HoldsAsync(() => CloseRecorded(tag), CloseDeadline), "close() was not called after a successful response.");
    }

    [Fact]
    public async Task CloseIsCalledWhenTheIterableRaises()
    {
        var tag = NewTag();

        // What the client gets is AppErrorTests' business; here only close() counts.
        await using (var connection = await Server.ConnectAsync())
        {
            await connection.SendAsync(Server.Request("GET", $"/close/error?tag={tag}"));
            try
            {
                await connection.ReadResponseOrNullAsync();
            }
            catch (EndOfStreamException)
            {
            }
        }

        Assert.True(await Eventually.HoldsAsync(() => CloseRecorded(tag), CloseDeadline), "close() was not called after the iterable raised.");
    }

    [Fact]
    public async Task CloseIsCalledWhenTheClientDisconnectsMidStream()
    {
        var tag = NewTag();
        await using (var connection = await Server.ConnectAsync())
        {
            await connection.SendAsync(Server.Request("GET", $"/close/endless?tag={tag}"));
            var head = await connection.ReadHeadAsync();
            Assert.Equal(200, head.StatusCode);
            Assert.StartsWith("tick", Encoding.ASCII.GetString(await connection.ReadChunkAsync() ?? []));
            await connection.ReadChunkAsync();
            Assert.False(CloseRecorded(tag), "close() was called while the client was still reading.");
        }

        Assert.True(await Eventually.HoldsAsync(() => CloseRecorded(tag), CloseDeadline), "close() was not called within 5 s of the client going away.");
    }

    [Fact]
    public async Task AnErrorInCloseStillDeliversTheWholeResponseAndIsLoggedWithItsTraceback()
    {
        var tag = NewTag();
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(Server.Request("GET", $"/close/raises?tag={tag}"));

        var response = await connection.ReadResponseAsync();

        response.AssertStatus(200);
        Assert.True(response.IsComplete, $"The response was cut before its last chunk:\n{response}");
        Assert.Equal("complete response", response.BodyText);
        // Nothing was wrong with the response, so the connection is still good for the next request.
        await connection.SendAsync(Server.Request("GET", "/echo/after-close-error"));
        (await connection.ReadResponseAsync()).AssertStatus(200);
        Assert.True(await Eventually.HoldsAsync(() => CloseRecorded(tag), CloseDeadline), "close() was not called.");
        await Server.Process.WaitForOutputAsync(
            new System.Text.RegularExpressions.Regex($@"Error closing the response of GET /close/raises\?tag={tag}"), CloseDeadline, FirstLine);
        await Server.Process.WaitForOutputAsync(
            new System.Text.RegularExpressions.Regex("OSError: cleanup failed in close\\(\\)"), CloseDeadline, FirstLine);
    }

    private static string NewTag() => Guid.NewGuid().ToString("N");

    private bool CloseRecorded(string tag)
    {
        var log = Path.Combine(Fixture.TestDirectory, "closed.log");
        return File.Exists(log) && File.ReadAllLines(log).Contains(tag);
    }
}
