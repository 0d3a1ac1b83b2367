using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Pep3333;

/// <summary>Headers the app gets wrong: the front validates them (docs/protocol.md) and never puts a bad one on the wire.</summary>
public sealed class ResponseHeaderTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    private static readonly TimeSpan LogDeadline = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("Connection", "close")]
    [InlineData("Keep-Alive", "timeout=5")]
    [InlineData("Transfer-Encoding", "chunked")]
    [InlineData("Upgrade", "websocket")]
    [InlineData("Proxy-Connection", "keep-alive")]
    [InlineData("TE", "trailers")]
    public async Task HopByHopHeaderFromTheAppGivesA500AndIsLogged(string name, string value)
    {
        // PEP 3333: "applications and middleware are forbidden from using HTTP/1.1 hop-by-hop features" (RFC 9110 §7.6.1).
        var response = await Server.GetAsync(HeaderTarget("/header", name, value));

        response.AssertStatus(500);
        Assert.DoesNotContain("the header went through", response.BodyText);
        await Server.Process.WaitForOutputAsync(MentionOf(name), LogDeadline, FirstLine);
    }

    [Theory]
    [InlineData("X-Bad", "a\r\nX-Injected: yes")]
    [InlineData("X-Bad", "a\nX-Injected: yes")]
    [InlineData("X-Bad", "a\rX-Injected: yes")]
    [InlineData("X-Bad", "nul\0byte")]
    [InlineData("X-Bad\r\nX-Injected", "yes")]
    [InlineData("X-Bad\nX-Injected", "yes")]
    [InlineData("X-Bad Name", "yes")]
    [InlineData("X-Bad:X-Injected", "yes")]
    public async Task InvalidHeaderFromTheAppGivesA500AndIsNeverSplit(string name, string value)
    {
        // The unchecked app: the validator would stop these inside the worker, before the front had to.
        var response = await Server.GetAsync(HeaderTarget("/unchecked/header", name, value));

        response.AssertStatus(500);
        Assert.DoesNotContain("X-Injected", response.Head.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(response.Head.Headers, field => field.Key.StartsWith("X-Bad", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("the header went through", response.BodyText);
        await Server.Process.WaitForOutputAsync(MentionOf("X-Bad"), LogDeadline, FirstLine);
    }

    [Fact]
    public async Task BodyShorterThanItsContentLengthIsCutOffAndLogged()
    {
        // The app declares 100 bytes and sends 10: the client must see a truncated response, not wait for 90 more.
        // The 10 bytes the app gave are sent (PEP 3333 forbids delaying a block), then the connection ends.
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(Server.Request("GET", "/declared-length/short"));
        var response = await connection.ReadResponseAsync();

        response.AssertStatus(200);
        Assert.Equal(100, response.Head.ContentLength);
        Assert.Equal("0123456789", response.BodyText);
        Assert.False(response.IsComplete, response.ToString());
        Assert.True(connection.ServerClosed, "The connection is still open after a body shorter than its Content-Length.");
        await Server.Process.WaitForOutputAsync(new Regex("content-length", RegexOptions.IgnoreCase), LogDeadline, FirstLine);
    }

    [Fact]
    public async Task BodyLongerThanItsContentLengthIsCutAtTheDeclaredLength()
    {
        // The app declares 10 bytes and sends 100: the other 90 must not reach the client, where they would be read
        // as the start of the next response.
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(Server.Request("GET", "/declared-length/long"));
        var response = await connection.ReadResponseAsync();

        response.AssertStatus(200);
        Assert.Equal("0123456789", response.BodyText);

        RawHttpResponse? next;
        try
        {
            await connection.SendAsync(Server.Request("GET", "/echo/after-long"));
            next = await connection.ReadResponseOrNullAsync();
        }
        catch (SocketException)
        {
            next = null; // closed, and the second request could not even be sent: a clean end as well
        }
        if (next is not null)
        {
            Assert.Equal("/echo/after-long", next.AssertStatus(200).Environ()["PATH_INFO"].GetString());
        }
    }

    /// <summary>The app takes the header in base64, so the name in a logged request line cannot pass for a log of the refusal.</summary>
    private static string HeaderTarget(string path, string name, string value) =>
        $"{path}?name={Base64Url(name)}&value={Base64Url(value)}";

    private static string Base64Url(string text) =>
        Uri.EscapeDataString(Convert.ToBase64String(Encoding.Latin1.GetBytes(text)).Replace('+', '-').Replace('/', '_'));

    /// <summary>The header name as a word of its own, so "TE" is not found inside "Content-Type".</summary>
    private static Regex MentionOf(string name) => new($@"(?<![\w-]){Regex.Escape(name)}(?![\w-])", RegexOptions.IgnoreCase);
}
