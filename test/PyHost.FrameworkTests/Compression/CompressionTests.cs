using System.Text;

namespace PyHost.FrameworkTests.Compression;

/// <summary>`pyhost serve --compress`: which responses are compressed, how, and which are left alone.</summary>
public sealed class CompressionTests(CompressionServer fixture) : IClassFixture<CompressionServer>
{
    private PyHostServer Server => fixture.Server;

    [Theory]
    [InlineData("gzip", "gzip")]
    [InlineData("br", "br")]
    [InlineData("zstd", "zstd")]
    [InlineData("gzip, deflate, br, zstd", "zstd")]          // equal weights: the server's order, zstd first
    [InlineData("gzip, deflate, br", "br")]
    [InlineData("br;q=0.4, gzip;q=0.9", "gzip")]
    [InlineData("zstd;q=0, br;q=0.2, gzip;q=0.1", "br")]
    [InlineData("*", "zstd")]
    [InlineData("x-gzip", "gzip")]
    public async Task TheCodingFollowsTheClientsWeights(string acceptEncoding, string expected)
    {
        RawHttpResponse plain = (await Server.GetAsync("/page?size=20000")).AssertStatus(200);
        RawHttpResponse response = (await Server.GetAsync("/page?size=20000", $"Accept-Encoding: {acceptEncoding}")).AssertStatus(200);

        Assert.Equal(expected, response.Header("Content-Encoding"));
        Assert.Equal(plain.Body, HttpBodies.Decode(expected, response.Body));
        Assert.True(response.Body.Length < plain.Body.Length / 5, $"{response.Body.Length} bytes of {plain.Body.Length}");
        Assert.Equal("Accept-Encoding", response.Header("Vary"));
        Assert.Null(response.Header("Content-Length"));     // the length of the coded body is not known in advance
        Assert.True(response.Head.IsChunked);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("identity")]
    [InlineData("deflate, compress")]
    [InlineData("gzip;q=0, br;q=0, zstd;q=0")]
    [InlineData("gzip;q=0.5, identity")]
    public async Task AClientThatAcceptsNoOfferedCodingGetsTheBodyAsItIsWithVary(string? acceptEncoding)
    {
        string[] headers = acceptEncoding is null ? [] : [$"Accept-Encoding: {acceptEncoding}"];
        RawHttpResponse response = (await Server.GetAsync("/page?size=3000", headers)).AssertStatus(200);

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal(3000, response.Head.ContentLength);
        Assert.Equal("Accept-Encoding", response.Header("Vary"));
    }

    [Theory]
    [InlineData("/page?size=5000&type=image/png", true)]
    [InlineData("/page?size=5000&type=application/zip", true)]
    [InlineData("/page?size=5000&type=font/woff2", true)]
    [InlineData("/page?size=100", false)]                               // below --compress-min-length (512)
    [InlineData("/page?size=5000&cache=no-transform", true)]
    [InlineData("/page?size=5000&cache=public,%20no-transform", true)]
    public async Task SomeAnswersAreNeverCompressed(string target, bool noVary)
    {
        RawHttpResponse plain = (await Server.GetAsync(target)).AssertStatus(200);
        RawHttpResponse response = (await Server.GetAsync(target, "Accept-Encoding: gzip, br, zstd")).AssertStatus(200);

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal(plain.Body, response.Body);
        Assert.Equal(plain.Body.Length, response.Head.ContentLength);
        if (noVary)
        {
            Assert.Null(response.Header("Vary"));
        }
    }

    [Fact]
    public async Task AnAnswerTheAppEncodedItselfIsNotCompressedTwice()
    {
        RawHttpResponse response = (await Server.GetAsync("/encoded", "Accept-Encoding: gzip, br, zstd")).AssertStatus(200);

        Assert.Equal("gzip", response.Header("Content-Encoding"));
        Assert.Equal(response.Body.Length, response.Head.ContentLength);
        Assert.Contains("PyHost compresses this paragraph", Encoding.UTF8.GetString(HttpBodies.Decode("gzip", response.Body)));
    }

    [Fact]
    public async Task HeadIsNotCompressedButSaysVary()
    {
        RawHttpResponse head = await Server.SendAsync(Server.Request("HEAD", "/page?size=5000", ["Accept-Encoding: gzip"]), bodyAllowed: false);

        head.AssertStatus(200);
        Assert.Null(head.Header("Content-Encoding"));
        Assert.Equal(5000, head.Head.ContentLength);
        Assert.Equal("Accept-Encoding", head.Header("Vary"));
    }

    [Fact]
    public async Task AStrongETagIsWeakenedAndTheAppsVaryIsKept()
    {
        RawHttpResponse response = (await Server.GetAsync("/page?size=5000&etag=v7&vary=Cookie", "Accept-Encoding: br")).AssertStatus(200);

        Assert.Equal("br", response.Header("Content-Encoding"));
        Assert.Equal("W/\"v7\"", response.Header("ETag"));
        Assert.Equal("Cookie,Accept-Encoding", string.Join(',', response.Head.Headers.Where(h => h.Key == "Vary").SelectMany(h => h.Value.Split(',', StringSplitOptions.TrimEntries))));
    }

    [Fact]
    public async Task A304PassesAsItIs()
    {
        RawHttpResponse response = (await Server.GetAsync("/not-modified", "Accept-Encoding: gzip")).AssertStatus(304);

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal("\"v1\"", response.Header("ETag"));
    }

    [Fact]
    public async Task ABodyOfUnknownLengthIsCompressedToo()
    {
        RawHttpResponse plain = (await Server.GetAsync("/unsized")).AssertStatus(200);
        RawHttpResponse response = (await Server.GetAsync("/unsized", "Accept-Encoding: gzip")).AssertStatus(200);

        Assert.Equal("gzip", response.Header("Content-Encoding"));
        Assert.Equal(plain.Body, HttpBodies.Decode("gzip", response.Body));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    public async Task AnEventStreamReachesTheClientEventByEvent(string coding)
    {
        string id = $"{coding}-{Guid.NewGuid():N}";
        await using RawHttpConnection connection = await Server.ConnectAsync();
        await connection.SendAsync(Server.Request("GET", $"/events?id={id}", [$"Accept-Encoding: {coding}"]));
        RawHttpResponseHead head = await connection.ReadHeadAsync();
        Assert.Equal(coding, head.Header("Content-Encoding"));
        Assert.True(head.IsChunked);

        // The app yields event n+1 only once go-ID-n exists, and this test creates it only after it decoded event
        // n: were an event held back in the compressor until the next, the app would wait for the test, the test
        // for the event, and the read would time out.
        await using var body = new ChunkedBodyStream(connection);
        await using Stream decoded = HttpBodies.Decoder(coding, body);
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        for (int n = 0; n < 3; n++)
        {
            string expected = $"id: {n}\ndata: event {n} of the stream\n\n";
            while (!text.ToString().Contains(expected, StringComparison.Ordinal))
            {
                int read = await decoded.ReadAsync(buffer);
                Assert.True(read > 0, $"The stream ended before event {n}; got: {text}");
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
            await File.WriteAllTextAsync(Path.Combine(fixture.EventsDirectory, $"go-{id}-{n}"), "");
        }
        while (await decoded.ReadAsync(buffer) is var read && read > 0)
        {
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        Assert.EndsWith("data: done\n\n", text.ToString());
    }

    /// <summary>The body of a chunked response as a stream, chunk by chunk as they arrive.</summary>
    private sealed class ChunkedBodyStream(RawHttpConnection connection) : Stream
    {
        private byte[] _chunk = [];
        private int _offset;
        private bool _ended;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset == _chunk.Length)
            {
                if (_ended || await connection.ReadChunkAsync() is not { } next)
                {
                    _ended = true;
                    return 0;
                }
                (_chunk, _offset) = (next, 0);
            }
            int count = Math.Min(buffer.Length, _chunk.Length - _offset);
            _chunk.AsMemory(_offset, count).CopyTo(buffer);
            _offset += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
