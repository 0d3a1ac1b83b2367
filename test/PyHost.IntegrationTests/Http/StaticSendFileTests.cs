using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Proxy;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Http;

/// <summary>
/// Large static files over plaintext HTTP/1.1 leave by sendfile(2): byte for byte, at their place among pipelined
/// responses, to slow clients and to clients that leave, precompressed siblings too; what is compressed on the fly
/// is written instead. That sendfile is what sent them is read from
/// pyhost_static_sendfile_bytes_total, which counts what the system call returned; a route with sendfile = false
/// sends the same bytes and leaves it unchanged.
/// </summary>
public sealed class StaticSendFileTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int BigLength = 10 * 1024 * 1024;
    private const int HugeLength = 32 * 1024 * 1024;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private const string Config = """
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[listen]]
        address = "127.0.0.1:{port1}"
        proxy_protocol = "v1"

        [[site]]
        compression = { codings = ["gzip"] }

          [[site.route]]
          path = "/files"
          static = "public"
          precompressed = true

          [[site.route]]
          path = "/copied"
          static = "public"
          sendfile = false
        """;

    private readonly byte[] _big = RandomNumberGenerator.GetBytes(BigLength);
    private readonly byte[] _huge = RandomNumberGenerator.GetBytes(HugeLength);
    private readonly byte[] _page = Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(300_000)));
    private readonly byte[] _log = Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(300_000)));
    private byte[] _pageGzip = [];
    private ConfiguredServer _server = null!;
    private AdminSocket _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await ConfiguredServer.StartAsync(output, Config, 2, "--pid", "site.pid");
        await File.WriteAllBytesAsync(Path.Combine(_server.Directory, "public", "big.bin"), _big);
        await File.WriteAllBytesAsync(Path.Combine(_server.Directory, "public", "huge.bin"), _huge);
        await File.WriteAllBytesAsync(Path.Combine(_server.Directory, "public", "page.txt"), _page);
        await File.WriteAllBytesAsync(Path.Combine(_server.Directory, "public", "log.txt"), _log);
        using (var gzipped = new MemoryStream())
        {
            using (var gzip = new GZipStream(gzipped, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(_page);
            }
            _pageGzip = gzipped.ToArray();
        }
        await File.WriteAllBytesAsync(Path.Combine(_server.Directory, "public", "page.txt.gz"), _pageGzip);
        _admin = new AdminSocket(Path.Combine(_server.Directory, "site.control.sock"));
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ALargeFileARangeAndAHeadAreExactAndTheFileWentBySendfile()
    {
        double before = await SentBySendfileAsync();

        RawHttpResponse whole = (await _server.RequestAsync("site.test", "/files/big.bin")).AssertStatus(200);
        Assert.Equal(BigLength, whole.Head.ContentLength);
        Assert.True(whole.Body.AsSpan().SequenceEqual(_big), "the body is not the file");

        await using (RawHttpConnection connection = await Connect())
        {
            await connection.SendAsync("GET /files/big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=1000-2500999\r\n\r\n");
            RawHttpResponse part = (await connection.ReadResponseAsync()).AssertStatus(206);
            Assert.Equal("bytes 1000-2500999/10485760", part.Header("Content-Range"));
            Assert.True(part.Body.AsSpan().SequenceEqual(_big.AsSpan(1000, 2_500_000)), "the range is not the file's bytes");

            await connection.SendAsync("HEAD /files/big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n");
            RawHttpResponse head = (await connection.ReadResponseAsync(bodyAllowed: false)).AssertStatus(200);
            Assert.Equal(BigLength, head.Head.ContentLength);
            Assert.Empty(head.Body);

            // The connection goes on after them: the next answer starts where the last file ended.
            await connection.SendAsync("GET /files/hello.txt HTTP/1.1\r\nHost: site.test\r\n\r\n");
            Assert.Equal("hello from the front\n", (await connection.ReadResponseAsync()).AssertStatus(200).BodyText);
        }

        double sent = await SentBySendfileAsync() - before;
        // Nearly every byte: only a byte per wait for a full socket is copied instead.
        Assert.InRange(sent, 0.9 * (BigLength + 2_500_000), BigLength + 2_500_000);
    }

    [Fact]
    public async Task PipelinedRequestsForLargeAndSmallFilesAreAnsweredInOrderByteForByte()
    {
        await using RawHttpConnection connection = await Connect();
        await connection.SendAsync(
            "GET /files/big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n" +
            "GET /files/hello.txt HTTP/1.1\r\nHost: site.test\r\n\r\n" +
            "GET /files/big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=-100000\r\n\r\n" +
            "GET /copied/big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n" +
            "GET /files/hello.txt HTTP/1.1\r\nHost: site.test\r\n\r\n");

        Assert.True((await connection.ReadResponseAsync()).AssertStatus(200).Body.AsSpan().SequenceEqual(_big));
        Assert.Equal("hello from the front\n", (await connection.ReadResponseAsync()).AssertStatus(200).BodyText);
        Assert.True((await connection.ReadResponseAsync()).AssertStatus(206).Body.AsSpan().SequenceEqual(_big.AsSpan(BigLength - 100_000)));
        Assert.True((await connection.ReadResponseAsync()).AssertStatus(200).Body.AsSpan().SequenceEqual(_big));
        Assert.Equal("hello from the front\n", (await connection.ReadResponseAsync()).AssertStatus(200).BodyText);
    }

    [Fact]
    public async Task ASlowReaderGetsAllOf32MiB()
    {
        using Socket socket = await ConnectRaw(receiveBuffer: 32 * 1024);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /files/huge.bin HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n"), SocketFlags.None);
        (string head, byte[] start) = await ReadHeadAsync(socket);
        Assert.StartsWith("HTTP/1.1 200", head);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(start);
        long received = start.Length;
        var piece = new byte[16 * 1024];
        long nextPause = 2 * 1024 * 1024;
        while (received < HugeLength)
        {
            int read = await socket.ReceiveAsync(piece, SocketFlags.None).WaitAsync(Deadline);
            Assert.True(read > 0, $"the connection ended after {received} of {HugeLength} bytes");
            hash.AppendData(piece, 0, read);
            received += read;
            if (received >= nextPause)
            {
                nextPause += 2 * 1024 * 1024;
                await Task.Delay(50);   // the server finds the socket full, and must wait without losing its place
            }
        }
        Assert.Equal(HugeLength, received);
        Assert.Equal(SHA256.HashData(_huge), hash.GetHashAndReset());
    }

    [Fact]
    public async Task AClientThatLeavesAfter1MiBDoesNotHurtTheServer()
    {
        using (Socket leaving = await ConnectRaw(receiveBuffer: 64 * 1024))
        {
            await leaving.SendAsync(Encoding.ASCII.GetBytes("GET /files/huge.bin HTTP/1.1\r\nHost: site.test\r\n\r\n"), SocketFlags.None);
            (_, byte[] start) = await ReadHeadAsync(leaving);
            long received = start.Length;
            var piece = new byte[64 * 1024];
            while (received < 1024 * 1024)
            {
                int read = await leaving.ReceiveAsync(piece, SocketFlags.None).WaitAsync(Deadline);
                Assert.True(read > 0);
                received += read;
            }
            leaving.LingerState = new LingerOption(true, 0);   // a reset, as a client that crashed
        }

        RawHttpResponse after = (await _server.RequestAsync("site.test", "/files/big.bin")).AssertStatus(200);
        Assert.True(after.Body.AsSpan().SequenceEqual(_big), "the next client did not get the file");
        Assert.Equal("hello from the front\n", (await _server.RequestAsync("site.test", "/files/hello.txt")).AssertStatus(200).BodyText);
        Assert.False(_server.Process.HasExited, "the server stopped");
    }

    [Fact]
    public async Task ARouteWithSendfileOffSendsTheSameBytesWithoutIt()
    {
        double before = await SentBySendfileAsync();

        RawHttpResponse copied = (await _server.RequestAsync("site.test", "/copied/big.bin")).AssertStatus(200);

        Assert.True(copied.Body.AsSpan().SequenceEqual(_big), "the body is not the file");
        Assert.Equal(before, await SentBySendfileAsync());
    }

    [Fact]
    public async Task APrecompressedSiblingGoesBySendfileAndCompressionOnTheFlyIsWritten()
    {
        double before = await SentBySendfileAsync();
        await using RawHttpConnection connection = await Connect();

        await connection.SendAsync("GET /files/page.txt HTTP/1.1\r\nHost: site.test\r\nAccept-Encoding: gzip\r\n\r\n");
        RawHttpResponse sibling = (await connection.ReadResponseAsync()).AssertStatus(200);
        Assert.Equal("gzip", sibling.Header("Content-Encoding"));
        Assert.True(sibling.Body.AsSpan().SequenceEqual(_pageGzip), "the body is not page.txt.gz");
        double afterSibling = await SentBySendfileAsync();
        Assert.InRange(afterSibling - before, 0.9 * _pageGzip.Length, _pageGzip.Length);

        // No sibling: the encoder must see the bytes, so they are read and written, and the client gets them encoded.
        await connection.SendAsync("GET /files/log.txt HTTP/1.1\r\nHost: site.test\r\nAccept-Encoding: gzip\r\n\r\n");
        RawHttpResponse compressed = (await connection.ReadResponseAsync()).AssertStatus(200);
        Assert.Equal("gzip", compressed.Header("Content-Encoding"));
        using var decoded = new MemoryStream();
        using (var gunzip = new GZipStream(new MemoryStream(compressed.Body), CompressionMode.Decompress))
        {
            gunzip.CopyTo(decoded);
        }
        Assert.True(decoded.ToArray().AsSpan().SequenceEqual(_log), "the decoded body is not log.txt");
        Assert.Equal(afterSibling, await SentBySendfileAsync());

        // And the connection goes on in order.
        await connection.SendAsync("GET /files/hello.txt HTTP/1.1\r\nHost: site.test\r\n\r\n");
        Assert.Equal("hello from the front\n", (await connection.ReadResponseAsync()).AssertStatus(200).BodyText);
    }

    [Fact]
    public async Task BehindAPROXYHeaderTheFileStillComesAfterItsHeadAndBeforeTheNextAnswer()
    {
        double before = await SentBySendfileAsync();
        await using RawHttpConnection connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, _server.Ports[1]));
        await connection.SendAsync("PROXY TCP4 198.51.100.7 127.0.0.1 40000 80\r\n" +
            "GET /files/big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n" +
            "GET /files/hello.txt HTTP/1.1\r\nHost: site.test\r\n\r\n");

        Assert.True((await connection.ReadResponseAsync()).AssertStatus(200).Body.AsSpan().SequenceEqual(_big), "the body is not the file");
        Assert.Equal("hello from the front\n", (await connection.ReadResponseAsync()).AssertStatus(200).BodyText);
        Assert.InRange(await SentBySendfileAsync() - before, 0.9 * BigLength, BigLength);
    }

    private Task<RawHttpConnection> Connect() => RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, _server.Ports[0]));

    private async Task<Socket> ConnectRaw(int receiveBuffer)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = receiveBuffer };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _server.Ports[0]));
        return socket;
    }

    /// <summary>The response head, and the body bytes that came with it.</summary>
    private static async Task<(string Head, byte[] BodyStart)> ReadHeadAsync(Socket socket)
    {
        var buffer = new List<byte>();
        var piece = new byte[4096];
        while (true)
        {
            int read = await socket.ReceiveAsync(piece, SocketFlags.None).WaitAsync(Deadline);
            Assert.True(read > 0, "no response head");
            buffer.AddRange(piece.AsSpan(0, read));
            int end = Encoding.Latin1.GetString(buffer.ToArray()).IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                return (Encoding.Latin1.GetString(buffer.ToArray(), 0, end), buffer.Skip(end + 4).ToArray());
            }
        }
    }

    private async Task<double> SentBySendfileAsync()
    {
        string metrics = await _admin.GetTextAsync("/metrics");
        Match sample = Regex.Match(metrics, @"^pyhost_static_sendfile_bytes_total(?:\{[^}]*\})? (\S+)", RegexOptions.Multiline);
        return sample.Success ? double.Parse(sample.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }
}
