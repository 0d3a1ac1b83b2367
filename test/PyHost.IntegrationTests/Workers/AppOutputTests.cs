using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Workers;

/// <summary>
/// An app's fd 1 and fd 2 are pipes into PyHost's log, apart from the worker channel (docs/protocol.md): whatever the
/// app prints, binary junk and bytes shaped like a worker frame included, cannot break a request.
/// </summary>
public sealed class AppOutputTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    private static readonly TimeSpan LogDeadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task PrintingAppKeepsServingAndItsOutputReachesTheLog()
    {
        const int requests = 30;

        for (var n = 0; n < requests; n++)
        {
            var response = await Server.GetAsync($"/print?n={n}");
            response.AssertStatus(200);
            Assert.Equal($"printed {n}", response.BodyText);
        }

        for (var n = 0; n < requests; n++)
        {
            await Server.Process.WaitForOutputAsync(new Regex($@"app-stdout-{n}(?!\d)"), LogDeadline, FirstLine);
            await Server.Process.WaitForOutputAsync(new Regex($@"app-stderr-{n}(?!\d)"), LogDeadline, FirstLine);
        }
        // Printed without a newline, and followed by the next request's output.
        await Server.Process.WaitForOutputAsync(new Regex(@"no-newline-0(?!\d)"), LogDeadline, FirstLine);
    }

    [Fact]
    public async Task PrintedLinesAreTaggedWithTheWorker()
    {
        var n = Random.Shared.Next(1000, 1_000_000);

        (await Server.GetAsync($"/print?n={n}")).AssertStatus(200);

        var line = await Server.Process.WaitForOutputAsync(new Regex($@"^(?<tag>.*)app-stdout-{n}(?!\d)"), LogDeadline, FirstLine);
        Assert.False(string.IsNullOrWhiteSpace(line.Groups["tag"].Value), $"The app's line reached the log untagged: {line.Value}");
    }
}
