using System.Security.Cryptography;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Pep3333;

/// <summary>PEP 3333 "Input and Error Streams": wsgi.input, streamed uploads, chunked uploads, 100-continue.</summary>
public sealed class RequestBodyTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    private const string Lines = "line1\nline2\nline3 is longer\nlast-no-newline";

    [Fact]
    public async Task LargeUploadIsBufferedOnDiskInBoundedMemoryAndReadWhole()
    {
        var (report, frontPeakKib) = await UploadAsync(Server, 200L * 1024 * 1024);

        var workerPeakKib = report.GetProperty("maxrss_kib").GetInt64();
        Output.WriteLine($"Peak RSS after a 200 MB buffered upload: worker {workerPeakKib / 1024} MB, front {frontPeakKib / 1024} MB.");
        Assert.True(workerPeakKib < 100 * 1024, $"The worker peaked at {workerPeakKib / 1024} MB of RSS: the body was not pulled in pieces.");
        Assert.True(frontPeakKib is < 300 * 1024, $"The front peaked at {frontPeakKib / 1024} MB of RSS (VmHWM): the body was buffered in memory, not on disk.");
    }

    [Fact]
    public async Task ChunkedUploadReachesTheAppDechunkedWithTheContentLengthTheFrontCounted()
    {
        var (report, size) = await ChunkedUploadAsync(Server);

        // Buffered whole, a chunked upload has a length: the app gets it, as behind nginx.
        Assert.True(report.GetProperty("has_content_length").GetBoolean(), "CONTENT_LENGTH is missing for a buffered chunked upload.");
        Assert.Equal(size, report.GetProperty("content_length").GetInt64());
    }

    /// <summary>Sends <paramref name="size"/> random bytes with a Content-Length and checks the app read them all.</summary>
    internal static async Task<(System.Text.Json.JsonElement Report, long FrontPeakKib)> UploadAsync(PyHostServer server, long size)
    {
        const int writeSize = 64 * 1024;
        await using var connection = await server.ConnectAsync();
        await connection.SendAsync(server.Request("POST", "/upload", ["Content-Type: application/octet-stream", $"Content-Length: {size}"]));

        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(200);
        var block = new byte[writeSize];
        for (long sent = 0; sent < size; sent += writeSize)
        {
            random.NextBytes(block);
            sha256.AppendData(block);
            await connection.SendAsync(block);
        }
        var response = await connection.ReadResponseAsync();
        var frontPeakKib = Posix.StatusKilobytes(server.Process.Id, "VmHWM") ?? 0;

        var report = response.AssertStatus(200).Json();
        var length = report.GetProperty("length").GetInt64();
        Assert.True(length == size, $"The app read {length} of the {size} bytes sent: wsgi.input ended early.");
        Assert.Equal(Convert.ToHexStringLower(sha256.GetHashAndReset()), report.GetProperty("sha256").GetString());
        return (report, frontPeakKib);
    }

    /// <summary>Sends 5 MiB in chunks of uneven sizes and checks the app read them all, dechunked.</summary>
    internal static async Task<(System.Text.Json.JsonElement Report, int Size)> ChunkedUploadAsync(PyHostServer server)
    {
        const int size = 5 * 1024 * 1024;
        var body = new byte[size];
        new Random(5).NextBytes(body);
        await using var connection = await server.ConnectAsync();
        await connection.SendAsync(server.Request("POST", "/upload", ["Content-Type: application/octet-stream", "Transfer-Encoding: chunked"]));

        var random = new Random(16);
        for (var offset = 0; offset < size;)
        {
            // Chunks of uneven sizes, so chunk boundaries fall anywhere inside the server's reads.
            var length = Math.Min(random.Next(1, 100_000), size - offset);
            await connection.SendAsync($"{length:x}\r\n");
            await connection.SendAsync(body.AsMemory(offset, length));
            await connection.SendAsync("\r\n");
            offset += length;
        }
        await connection.SendAsync("0\r\n\r\n");
        var report = (await connection.ReadResponseAsync()).AssertStatus(200).Json();

        Assert.Equal(size, report.GetProperty("length").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), report.GetProperty("sha256").GetString());
        Assert.True(report.GetProperty("input_terminated").GetBoolean(), "wsgi.input_terminated is not true for a chunked request.");
        return (report, size);
    }

    [Theory]
    // read() without a size is not in PEP 3333 and the validator refuses it, hence the unchecked app.
    [InlineData("/unchecked/input?op=read", new[] { Lines, "", "" })]
    [InlineData("/input?op=read-n", new[] { "line1", "\nline", "2\nline3 is longer\nlast-no-newline", "" })]
    [InlineData("/input?op=readline", new[] { "line1\n", "line2\n", "line3 is longer\n", "last-no-newline" })]
    [InlineData("/input?op=readline-n", new[] { "line", "1\n", "line", "2\n", "line", "3 is", " lon", "ger\n", "last", "-no-", "newl", "ine" })]
    [InlineData("/input?op=readlines", new[] { "line1\n", "line2\n", "line3 is longer\n", "last-no-newline" })]
    [InlineData("/input?op=iter", new[] { "line1\n", "line2\n", "line3 is longer\n", "last-no-newline" })]
    public async Task WsgiInputReturnsTheBodyInThePiecesItsMethodPromises(string target, string[] pieces)
    {
        var response = await Server.PostAsync(target, Lines, "Content-Type: text/plain");

        Assert.Equal(pieces, Pieces(response));
    }

    [Fact]
    public async Task ReadlineFindsEveryLineAcrossBodyPulls()
    {
        // 200 KB is more than one 64 KiB pull: lines straddle the pieces the front sends.
        var lines = Enumerable.Range(0, 1400).Select(i => $"line {i:D5} {new string('x', i % 250)}\n").ToArray();

        var response = await Server.PostAsync("/input?op=readline", string.Concat(lines), "Content-Type: text/plain");

        Assert.Equal(lines, Pieces(response));
    }

    [Fact]
    public async Task ExpectContinueIsAnsweredBeforeTheBodyIsSent()
    {
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(Server.Request("POST", "/echo-body", ["Content-Type: text/plain", "Content-Length: 11", "Expect: 100-continue"]));

        var interim = await connection.ReadResponseAsync();
        interim.AssertStatus(100);
        await connection.SendAsync("hello world");
        var response = await connection.ReadResponseAsync();

        response.AssertStatus(200);
        Assert.Equal("hello world", response.BodyText);
    }

    private static string[] Pieces(RawHttpResponse response) =>
        response.AssertStatus(200).Json().GetProperty("pieces").EnumerateArray().Select(piece => piece.GetString()!).ToArray();
}

/// <summary>Request buffering off: the body streams from the client to the app as wsgi.input is read.</summary>
public sealed class StreamedRequestBodyTests(Pep3333StreamingServer fixture, ITestOutputHelper output)
    : ServedTest<Pep3333StreamingServer>(fixture, output)
{
    [Fact]
    public async Task LargeUploadIsStreamedThroughBoundedMemory()
    {
        var (report, frontPeakKib) = await RequestBodyTests.UploadAsync(Server, 200L * 1024 * 1024);

        var workerPeakKib = report.GetProperty("maxrss_kib").GetInt64();
        Output.WriteLine($"Peak RSS after a 200 MB streamed upload: worker {workerPeakKib / 1024} MB, front {frontPeakKib / 1024} MB.");
        Assert.True(workerPeakKib < 100 * 1024, $"The worker peaked at {workerPeakKib / 1024} MB of RSS: the body was not streamed.");
        Assert.True(frontPeakKib is < 300 * 1024, $"The front peaked at {frontPeakKib / 1024} MB of RSS (VmHWM): the body was not streamed.");
    }

    [Fact]
    public async Task ChunkedUploadReachesTheAppDechunkedWithoutContentLength()
    {
        var (report, _) = await RequestBodyTests.ChunkedUploadAsync(Server);

        Assert.False(report.GetProperty("has_content_length").GetBoolean(), "CONTENT_LENGTH is in the environ of a streamed chunked request.");
    }
}
