using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Pep3333;

/// <summary>PEP 3333 "Error Handling": exc_info, and what an app's exception shows to the client and to the log.</summary>
public sealed class AppErrorTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    [Fact]
    public async Task StartResponseWithExcInfoBeforeTheBodyReplacesTheResponse()
    {
        var response = await Server.GetAsync("/exc-info/before-body");

        response.AssertStatus(500);
        Assert.True(response.IsComplete, response.ToString());
        Assert.Equal("replacement body", response.BodyText);
    }

    [Fact]
    public async Task StartResponseWithExcInfoAfterTheBodyAbortsTheResponse()
    {
        // The status line is gone; the only way left to tell the client is to end the connection before the body ends.
        var response = await Server.GetAsync("/exc-info/after-body");

        response.AssertStatus(200);
        Assert.StartsWith("partial body\n", response.BodyText);
        Assert.DoesNotContain("never sent", response.BodyText);
        Assert.False(response.IsComplete, $"The response looks complete, so the client cannot tell it failed:\n{response}");
    }

    [Fact]
    public async Task ExceptionWhileIteratingAbortsTheResponse()
    {
        // PEP 3333 "Buffering and Streaming": a block the app yielded must be sent without delay, so the client sees
        // the first chunk, and then a connection that ends before the body does.
        var response = await Server.GetAsync($"/close/error?tag={Guid.NewGuid():N}");

        response.AssertStatus(200);
        Assert.StartsWith("before the error\n", response.BodyText);
        Assert.False(response.IsComplete, $"The response looks complete, so the client cannot tell it failed:\n{response}");
    }

    [Fact]
    public async Task AppExceptionGivesAShortPageAndLogsTheTraceback()
    {
        var marker = Guid.NewGuid().ToString("N");

        var response = await Server.GetAsync($"/error?marker={marker}");

        response.AssertStatus(500);
        Assert.True(response.Body.Length < 2048, $"The 500 page is {response.Body.Length} bytes, not a short page:\n{response}");
        Assert.DoesNotContain("Traceback", response.BodyText);
        Assert.DoesNotContain("deliberate failure", response.BodyText);
        await Server.Process.WaitForOutputAsync(new Regex($"deliberate failure {marker}"), TimeSpan.FromSeconds(5), FirstLine);
        Assert.Contains("Traceback (most recent call last)", Server.Process.OutputSince(FirstLine));
    }
}

/// <summary>--debug: the traceback goes into the 500 page too.</summary>
public sealed class DebugModeTests(Pep3333DebugServer fixture, ITestOutputHelper output) : ServedTest<Pep3333DebugServer>(fixture, output)
{
    [Fact]
    public async Task AppExceptionPageShowsTheTraceback()
    {
        var marker = Guid.NewGuid().ToString("N");

        var response = await Server.GetAsync($"/error?marker={marker}");

        response.AssertStatus(500);
        Assert.Contains("Traceback", response.BodyText);
        Assert.Contains($"deliberate failure {marker}", response.BodyText);
    }
}
