using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Proxy;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>
/// A large file an ASGI app names with <c>http.response.pathsend</c> leaves by sendfile(2) over plaintext HTTP/1.1, as a
/// static route's does, byte for byte and in its place among the connection's answers; a small file, a HEAD, a body
/// compressed on the fly and HTTP/2 are copied, exactly as before. A server whose routes serve no files sets a
/// connection up for sendfile only once an app has sent such a file: the connection that brought the first one copied
/// it, those opened after send by sendfile. That sendfile sent the bytes is read from pyhost_pathsend_sendfile_bytes_total,
/// which counts what the system call returned.
/// </summary>
public sealed class PathsendSendFileTests(ITestOutputHelper output)
{
    private const int BigLength = 8 * 1024 * 1024;
    private const int SmallLength = 16 * 1024;   // under the 32 KiB where sendfile starts to pay
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static string Toml(string routes = "") => $$"""
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[site]]
        compression = { codings = ["gzip"] }
        {{routes}}
          [[site.route]]
          app = "files"

        [app.files]
        module = "asgi_features:app"
        chdir = "{{Repository.AppsDirectory}}"
        python = "{{Repository.Python}}"
        interface = "asgi"
        workers = 1
        """;

    private const string StaticRoute = """

          [[site.route]]
          path = "/static"
          static = "public"

        """;

    private readonly byte[] _big = RandomNumberGenerator.GetBytes(BigLength);
    private readonly byte[] _small = RandomNumberGenerator.GetBytes(SmallLength);
    private readonly byte[] _text = Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(300_000)));

    [Fact]
    public async Task ALargeFileGoesBySendfileOnConnectionsOpenedAfterTheFirstAndArrivesByteForByte()
    {
        await using ConfiguredServer server = await StartAsync(Toml());
        using var admin = new AdminSocket(Path.Combine(server.Directory, "site.control.sock"));
        string big = await WriteAsync(server, "big.bin", _big);
        double before = await SentBySendfileAsync(admin);

        // Opened before any app sent a file: this connection has no zero-copy output, and copies.
        await using (RawHttpConnection first = await ConnectAsync(server))
        {
            RawHttpResponse copied = await GetAsync(first, $"/file?{big}");
            Assert.Equal(BigLength, copied.Head.ContentLength);
            Assert.True(copied.Body.AsSpan().SequenceEqual(_big), "the copied body is not the file");
        }
        Assert.Equal(before, await SentBySendfileAsync(admin));

        await using (RawHttpConnection next = await ConnectAsync(server))
        {
            await next.SendAsync(Request($"/file?{big}") + Request("/hello") + Request($"/file?{big}"));
            RawHttpResponse sent = (await next.ReadResponseAsync()).AssertStatus(200);
            Assert.Equal(BigLength, sent.Head.ContentLength);
            Assert.True(sent.Body.AsSpan().SequenceEqual(_big), "the body sent by sendfile is not the file");
            // The connection goes on after it: the next answer starts where the file ended.
            Assert.Equal(JsonValueKind.Number, (await next.ReadResponseAsync()).AssertStatus(200).Json().GetProperty("pid").ValueKind);
            Assert.True((await next.ReadResponseAsync()).AssertStatus(200).Body.AsSpan().SequenceEqual(_big), "the second file is not the file");
        }
        // Nearly every byte: only a byte per wait for a full socket may be copied instead.
        Assert.InRange(await SentBySendfileAsync(admin) - before, 0.9 * 2 * BigLength, 2 * BigLength);
    }

    [Fact]
    public async Task WhereARouteServesFilesTheFirstConnectionAlreadySendsBySendfile()
    {
        await using ConfiguredServer server = await StartAsync(Toml(StaticRoute));
        using var admin = new AdminSocket(Path.Combine(server.Directory, "site.control.sock"));
        string big = await WriteAsync(server, "big.bin", _big);
        double before = await SentBySendfileAsync(admin);

        await using (RawHttpConnection connection = await ConnectAsync(server))
        {
            Assert.True((await GetAsync(connection, $"/file?{big}")).Body.AsSpan().SequenceEqual(_big), "the body is not the file");
            Assert.Equal("hello from the front\n", (await GetAsync(connection, "/static/hello.txt")).BodyText);
        }

        Assert.InRange(await SentBySendfileAsync(admin) - before, 0.9 * BigLength, BigLength);
    }

    [Fact]
    public async Task ASmallFileAHeadAndACompressedBodyAreCopiedOnAConnectionThatCouldSendfile()
    {
        await using ConfiguredServer server = await StartAsync(Toml(StaticRoute));
        using var admin = new AdminSocket(Path.Combine(server.Directory, "site.control.sock"));
        string big = await WriteAsync(server, "big.bin", _big);
        string small = await WriteAsync(server, "small.bin", _small);
        string text = await WriteAsync(server, "page.txt", _text);
        await using RawHttpConnection connection = await ConnectAsync(server);
        double before = await SentBySendfileAsync(admin);

        Assert.True((await GetAsync(connection, $"/file?{small}")).Body.AsSpan().SequenceEqual(_small), "the small body is not the file");

        await connection.SendAsync($"HEAD /file?{big} HTTP/1.1\r\nHost: site.test\r\n\r\n");
        RawHttpResponse head = (await connection.ReadResponseAsync(bodyAllowed: false)).AssertStatus(200);
        Assert.Equal(BigLength, head.Head.ContentLength);
        Assert.Empty(head.Body);

        // The encoder must see the bytes: they are read and written, and the client gets them encoded.
        await connection.SendAsync($"GET /file?{text} HTTP/1.1\r\nHost: site.test\r\nAccept-Encoding: gzip\r\n\r\n");
        RawHttpResponse compressed = (await connection.ReadResponseAsync()).AssertStatus(200);
        Assert.Equal("gzip", compressed.Header("Content-Encoding"));
        using var decoded = new MemoryStream();
        using (var gunzip = new GZipStream(new MemoryStream(compressed.Body), CompressionMode.Decompress))
        {
            gunzip.CopyTo(decoded);
        }
        Assert.True(decoded.ToArray().AsSpan().SequenceEqual(_text), "the decoded body is not the file");
        Assert.Equal(before, await SentBySendfileAsync(admin));

        // The same connection does send a large file by sendfile.
        Assert.True((await GetAsync(connection, $"/file?{big}")).Body.AsSpan().SequenceEqual(_big), "the body is not the file");
        Assert.InRange(await SentBySendfileAsync(admin) - before, 0.9 * BigLength, BigLength);
    }

    [Fact]
    public async Task OverHttp2TheFileIsCopiedByteForByte()
    {
        await using ConfiguredServer server = await StartAsync(Toml(StaticRoute));
        using var admin = new AdminSocket(Path.Combine(server.Directory, "site.control.sock"));
        string big = await WriteAsync(server, "big.bin", _big);
        double before = await SentBySendfileAsync(admin);
        using var client = new HttpClient(new SocketsHttpHandler())
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Deadline,
        };

        using HttpResponseMessage response = await client.GetAsync($"http://127.0.0.1:{server.Ports[0]}/file?{big}");
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.True(body.AsSpan().SequenceEqual(_big), $"the body ({body.Length} bytes) is not the file");
        Assert.Equal(before, await SentBySendfileAsync(admin));
    }

    private async Task<ConfiguredServer> StartAsync(string toml)
    {
        ConfiguredServer server = await ConfiguredServer.StartAsync(output, toml, 1, "--pid", "site.pid");
        // Once the app answers, its worker has booted.
        await using RawHttpConnection connection = await ConnectAsync(server);
        await GetAsync(connection, "/hello");
        return server;
    }

    private static async Task<string> WriteAsync(ConfiguredServer server, string name, byte[] content)
    {
        string path = Path.Combine(server.Directory, name);
        await File.WriteAllBytesAsync(path, content);
        return path;
    }

    private static async Task<RawHttpConnection> ConnectAsync(ConfiguredServer server)
    {
        RawHttpConnection connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, server.Ports[0]));
        connection.Timeout = Deadline;
        return connection;
    }

    private static string Request(string target) => $"GET {target} HTTP/1.1\r\nHost: site.test\r\n\r\n";

    private static async Task<RawHttpResponse> GetAsync(RawHttpConnection connection, string target)
    {
        await connection.SendAsync(Request(target));
        return (await connection.ReadResponseAsync()).AssertStatus(200);
    }

    private static async Task<double> SentBySendfileAsync(AdminSocket admin)
    {
        string metrics = await admin.GetTextAsync("/metrics");
        Match sample = Regex.Match(metrics, @"^pyhost_pathsend_sendfile_bytes_total(?:\{[^}]*\})? (\S+)", RegexOptions.Multiline);
        return sample.Success ? double.Parse(sample.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }
}
