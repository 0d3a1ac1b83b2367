using System.Globalization;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.StaticFiles;

/// <summary>
/// pyhost and Debian's Caddy (2.6.2: <c>file_server</c> with <c>precompressed br zstd gzip</c>, <c>encode zstd
/// gzip</c>) serving the same directory, configured alike, asked the same questions in the same test. Where HTTP says
/// what the answer is, they agree. Where they differ, each is held to what it does and the comment says why: Caddy
/// 2.6 keeps a compressed answer's strong ETag and sends Vary only on the answers it encodes (both changed in Caddy
/// 2.8, caddyserver/caddy#5849), and redirects a directory with 308 where pyhost, like nginx, says 301.
/// The compressed sizes of both are written to artifacts/static-compression-sizes-caddy-{gzip,zstd}.md.
/// </summary>
public sealed class CaddySideBySideTests(StaticFeaturesSite site, ITestOutputHelper output) : IClassFixture<StaticFeaturesSite>
{
    /// <summary>The same file compressed at the same level by two libraries: neither may be this much bigger.</summary>
    private const double SaneSizeRatio = 1.3;

    [Theory]
    [InlineData("page.html")]
    [InlineData("big.bin")]
    [InlineData("style.css")]
    public async Task BothServeTheFileWithValidatorsThatAnswer304(string name)
    {
        foreach ((string server, Get get) in Servers())
        {
            await site.AssertValidatorsAnswer304Async(server, get.Invoke, name);
        }
    }

    [Theory]
    [InlineData("bytes=0-99", 0, 100)]
    [InlineData("bytes=1000-", 1000, 64 * 1024 - 1000)]
    [InlineData("bytes=-300", 64 * 1024 - 300, 300)]
    public async Task BothAnswerASingleRangeWithTheSame206(string range, int start, int length)
    {
        var contentRanges = new List<string?>();
        foreach ((string server, Get get) in Servers())
        {
            RawHttpResponse response = (await get("/static/big.bin", [$"Range: {range}"])).AssertStatus(206);
            Assert.Equal(site.BigFile[start..(start + length)], response.Body);
            contentRanges.Add(response.Header("Content-Range"));
        }
        Assert.Equal($"bytes {start}-{start + length - 1}/{site.BigFile.Length}", contentRanges[0]);
        Assert.Equal(contentRanges[0], contentRanges[1]);
    }

    /// <summary>Caddy answers several ranges too: its file_server hands the file to Go's http.ServeContent, which
    /// writes multipart/byteranges.</summary>
    [Fact]
    public async Task BothAnswerSeveralRangesWithTheSameParts()
    {
        var parts = new List<string>();
        foreach ((string server, Get get) in Servers())
        {
            RawHttpResponse response = (await get("/static/big.bin", ["Range: bytes=0-9,500-599,-7"])).AssertStatus(206);
            parts.Add(string.Join(" | ", HttpBodies.ByteRangeParts(response).Select(p => $"{p.ContentRange} {Convert.ToHexString(p.Bytes)}")));
            Assert.Equal(response.Body.Length, response.Head.ContentLength);
        }
        int length = site.BigFile.Length;
        Assert.Equal(
            $"bytes 0-9/{length} {Convert.ToHexString(site.BigFile[..10])} | bytes 500-599/{length} {Convert.ToHexString(site.BigFile[500..600])} | "
            + $"bytes {length - 7}-{length - 1}/{length} {Convert.ToHexString(site.BigFile[^7..])}",
            parts[0]);
        Assert.Equal(parts[0], parts[1]);
    }

    [Fact]
    public async Task BothAnswerARangePastTheEndWith416()
    {
        foreach ((string server, Get get) in Servers())
        {
            RawHttpResponse response = (await get("/static/big.bin", ["Range: bytes=999999-"])).AssertStatus(416);
            Assert.Equal($"bytes */{site.BigFile.Length}", response.Header("Content-Range"));
        }
    }

    /// <summary>Both send a directory to its slash before its index. pyhost says 301 as nginx does; Caddy says 308
    /// (Permanent Redirect, RFC 9110 §15.4.9), which also tells the client to keep its method.</summary>
    [Fact]
    public async Task BothRedirectADirectoryToItsSlashAndServeItsIndex()
    {
        foreach ((string server, Get get) in Servers())
        {
            RawHttpResponse redirect = (await get("/static/docs", [])).AssertStatus(server == "pyhost" ? 301 : 308);
            Assert.EndsWith("/static/docs/", redirect.Header("Location"));
            Assert.Equal(site.File("docs/index.html"), (await get("/static/docs/", [])).AssertStatus(200).Body);
        }
    }

    [Theory]
    [InlineData("gzip", "gzip")]
    [InlineData("br", "br")]
    [InlineData("zstd", "zstd")]
    [InlineData("gzip, deflate, br, zstd", "br")]           // equal weights: both servers' order, br first
    [InlineData("br;q=0.5, zstd;q=0.9, gzip;q=0.1", "zstd")]
    public async Task BothSendThePrecompressedSiblingAsItIsWithVaryAndAnETagOfItsOwn(string acceptEncoding, string coding)
    {
        byte[] sibling = site.File("page.html." + (coding == "zstd" ? "zst" : coding == "gzip" ? "gz" : "br"));
        foreach ((string server, Get get) in Servers())
        {
            RawHttpResponse identity = (await get("/static/page.html", [])).AssertStatus(200);
            RawHttpResponse response = (await get("/static/page.html", [$"Accept-Encoding: {acceptEncoding}"])).AssertStatus(200);

            Assert.True(coding == response.Header("Content-Encoding"), $"{server}: Content-Encoding {response.Header("Content-Encoding")}");
            Assert.Equal(sibling, response.Body);
            Assert.Equal(site.Page, HttpBodies.Decode(coding, response.Body));
            Assert.Contains("Accept-Encoding", response.Header("Vary"));
            string etag = response.Header("ETag")!;
            Assert.NotEqual(identity.Header("ETag"), etag);
            RawHttpResponse notModified = (await get("/static/page.html", [$"Accept-Encoding: {acceptEncoding}", $"If-None-Match: {etag}"])).AssertStatus(304);
            Assert.Equal(etag, notModified.Header("ETag"));

            // Which bytes were sent depended on Accept-Encoding, so the identity answer says so too (RFC 9110
            // §12.5.5), or a shared cache could hand it to a client that asked for br. Caddy 2.6 sends Vary only
            // when it serves a sibling (from 2.8 always: caddyserver/caddy#5849).
            Assert.Equal(server == "pyhost" ? "Accept-Encoding" : null, identity.Header("Vary"));
        }
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task BothCompressTheSameTypesToAboutTheSameSizeWithVary(string coding)
    {
        var report = new StringBuilder($"| file | identity bytes | pyhost {coding} bytes | caddy {coding} bytes |\n|---|---|---|---|\n");
        foreach (string name in new[] { "style.css", "data.json", "logo.svg", "image.png", "site.0123456789ab.css" })
        {
            var sizes = new Dictionary<string, int>();
            foreach ((string server, Get get) in Servers())
            {
                string identityTag = (await get($"/static/{name}", [])).AssertStatus(200).Header("ETag")!;
                RawHttpResponse response = (await get($"/static/{name}", [$"Accept-Encoding: {coding}"])).AssertStatus(200);
                bool compressed = response.Header("Content-Encoding") == coding;
                Assert.True(compressed == (name != "image.png"), $"{server} {name}: Content-Encoding {response.Header("Content-Encoding")}");
                Assert.Equal(site.File(name), HttpBodies.Decode(response.Header("Content-Encoding"), response.Body));
                sizes[server] = response.Body.Length;
                if (!compressed)
                {
                    continue;
                }
                Assert.Contains("Accept-Encoding", response.Header("Vary"));
                // pyhost streams the coded body, chunked. Caddy does too, but Go's net/http gives a response that
                // ended within its first 2 KiB of buffer a Content-Length: the coded body's, when it is that small.
                string? contentLength = response.Header("Content-Length");
                Assert.True(server == "pyhost" ? contentLength is null : contentLength is null || response.Head.ContentLength == response.Body.Length,
                    $"{server} {name}: Content-Length {contentLength}, body {response.Body.Length} bytes");
                // These bytes are not the file's, so pyhost weakens the file's strong tag (RFC 9110 §8.8.1); Caddy 2.6
                // sends the file's tag unchanged (from 2.8 it appends the coding: caddyserver/caddy#5849).
                string etag = response.Header("ETag")!;
                Assert.Equal(server == "pyhost" ? "W/" + identityTag : identityTag, etag);
                // Either way the tag a client got revalidates what it has.
                (await get($"/static/{name}", [$"Accept-Encoding: {coding}", $"If-None-Match: {etag}"])).AssertStatus(304);
            }
            if (name != "image.png")
            {
                double ratio = (double)Math.Max(sizes["pyhost"], sizes["caddy"]) / Math.Min(sizes["pyhost"], sizes["caddy"]);
                Assert.True(ratio <= SaneSizeRatio, $"{name}: pyhost {sizes["pyhost"]} bytes, caddy {sizes["caddy"]} bytes of {coding}");
                Assert.True(sizes["pyhost"] < site.File(name).Length / 2, $"{name}: pyhost {sizes["pyhost"]} of {site.File(name).Length} bytes");
            }
            report.Append(CultureInfo.InvariantCulture, $"| {name} | {site.File(name).Length} | {sizes["pyhost"]} | {sizes["caddy"]} |\n");
        }
        output.WriteLine(report.ToString());
        string artifacts = Path.Combine(Repository.Root, "artifacts");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllTextAsync(Path.Combine(artifacts, $"static-compression-sizes-caddy-{coding}.md"),
            $"# {coding} of the same files: pyhost --compress vs Caddy encode (gzip level 5, zstd at each library's default)\n\n{report}");
    }

    private delegate Task<RawHttpResponse> Get(string target, string[] headers);

    /// <summary>GET on pyhost, then the same GET on Caddy (each with its own Host).</summary>
    private IEnumerable<(string Server, Get Get)> Servers()
    {
        yield return ("pyhost", (target, headers) => site.Site.GetAsync(target, headers));
        yield return ("caddy", async (target, headers) =>
        {
            await using RawHttpConnection connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, site.Caddy.Port));
            var request = new StringBuilder($"GET {target} HTTP/1.1\r\nHost: {site.Caddy.Authority}\r\n");
            foreach (string header in headers)
            {
                request.Append(header).Append("\r\n");
            }
            await connection.SendAsync(request.Append("\r\n").ToString());
            return await connection.ReadResponseAsync();
        });
    }
}
