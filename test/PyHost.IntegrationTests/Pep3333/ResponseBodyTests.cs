using System.Diagnostics;
using System.Text;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Pep3333;

/// <summary>PEP 3333 "Buffering and Streaming", the write() callable, and how a body is framed on the wire.</summary>
public sealed class ResponseBodyTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    [Fact]
    public async Task GeneratorChunksReachTheClientAsTheyAreYielded()
    {
        // The app sleeps 300 ms between its three chunks; a server that buffers delivers them together.
        await using var connection = await Server.ConnectAsync();
        var clock = Stopwatch.StartNew();
        await connection.SendAsync(Server.Request("GET", "/stream"));
        var head = await connection.ReadHeadAsync();
        Assert.True(head.StatusCode == 200 && head.IsChunked, $"Expected a chunked 200:\n{head.Text}");

        var received = new StringBuilder();
        TimeSpan? firstArrived = null;
        TimeSpan? lastArrived = null;
        while (await connection.ReadChunkAsync() is { } chunk)
        {
            received.Append(Encoding.ASCII.GetString(chunk));
            if (received.ToString().Contains("first chunk"))
            {
                firstArrived ??= clock.Elapsed;
            }
            if (received.ToString().Contains("third chunk"))
            {
                lastArrived ??= clock.Elapsed;
            }
        }

        Assert.Equal("first chunk\nsecond chunk\nthird chunk\n", received.ToString());
        var gap = lastArrived!.Value - firstArrived!.Value;
        Assert.True(gap >= TimeSpan.FromMilliseconds(200), $"The first and last chunks arrived {gap.TotalMilliseconds:F0} ms apart: the response was buffered.");
    }

    [Fact]
    public async Task WriteCallableOutputComesBeforeTheReturnedBody()
    {
        var response = await Server.GetAsync("/write");

        response.AssertStatus(200);
        Assert.True(response.IsComplete, response.ToString());
        Assert.Equal("first;second;third", response.BodyText);
    }

    [Fact]
    public async Task OneElementListGetsAComputedContentLength()
    {
        var response = await Server.GetAsync("/list");

        response.AssertStatus(200);
        Assert.False(response.Head.IsChunked, response.ToString());
        Assert.Equal("hello from a one-element list\n", response.BodyText);
        Assert.Equal(response.Body.Length, response.Head.ContentLength);
    }

    [Fact]
    public async Task GeneratorIsSentWithChunkedTransferEncoding()
    {
        var response = await Server.GetAsync("/generator");

        response.AssertStatus(200);
        Assert.True(response.Head.IsChunked, response.ToString());
        Assert.Null(response.Head.ContentLength);
        Assert.True(response.IsComplete, response.ToString());
        Assert.Equal("one two", response.BodyText);
    }

    [Fact]
    public async Task FileWrapperSendsTheWholeFile()
    {
        var content = new byte[1024 * 1024 + 123];
        new Random(3333).NextBytes(content);
        await File.WriteAllBytesAsync(Path.Combine(Fixture.TestDirectory, "blob.bin"), content);

        var response = await Server.GetAsync("/file?name=blob.bin");

        response.AssertStatus(200);
        Assert.True(response.IsComplete, $"The body ended after {response.Body.Length} of {content.Length} bytes.");
        Assert.Equal(content.Length, response.Body.Length);
        Assert.True(content.AsSpan().SequenceEqual(response.Body), "The body has the file's length but not its bytes.");
    }
}
