using System.Text;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.StaticFiles;

/// <summary>
/// pyhost and Debian's nginx serving the same directory, configured alike (index, gzip_static, gzip for the same
/// types at the same level, gzip_vary), asked the same questions: where HTTP says what the answer is, they agree.
/// The compressed sizes of both are written to artifacts/static-compression-sizes.md.
/// </summary>
public sealed class NginxSideBySideTests(StaticFeaturesSite site, ITestOutputHelper output) : IClassFixture<StaticFeaturesSite>
{
    [Theory]
    [InlineData("page.html")]
    [InlineData("big.bin")]
    [InlineData("style.css")]
    public async Task BothServeTheFileWithValidatorsThatAnswer304(string name)
    {
        foreach ((Func<string, string[], Task<RawHttpResponse>> get, string server) in Servers().Zip(["pyhost", "nginx"]))
        {
            await site.AssertValidatorsAnswer304Async(server, get, name);
        }
    }

    [Theory]
    [InlineData("bytes=0-99", 0, 100)]
    [InlineData("bytes=1000-", 1000, 64 * 1024 - 1000)]
    [InlineData("bytes=-300", 64 * 1024 - 300, 300)]
    public async Task BothAnswerASingleRangeWithTheSame206(string range, int start, int length)
    {
        var answers = new List<RawHttpResponse>();
        foreach (Func<string, string[], Task<RawHttpResponse>> get in Servers())
        {
            RawHttpResponse response = (await get("/static/big.bin", [$"Range: {range}"])).AssertStatus(206);
            Assert.Equal(site.BigFile[start..(start + length)], response.Body);
            answers.Add(response);
        }
        Assert.Equal(answers[0].Header("Content-Range"), answers[1].Header("Content-Range"));
    }

    [Fact]
    public async Task BothAnswerSeveralRangesWithTheSameParts()
    {
        var parts = new List<string>();
        foreach (Func<string, string[], Task<RawHttpResponse>> get in Servers())
        {
            RawHttpResponse response = (await get("/static/big.bin", ["Range: bytes=0-9,500-599,-7"])).AssertStatus(206);
            parts.Add(string.Join(" | ", HttpBodies.ByteRangeParts(response).Select(p => $"{p.ContentRange} {Convert.ToHexString(p.Bytes)}")));
            Assert.Equal(response.Body.Length, response.Head.ContentLength);
        }
        Assert.Equal(parts[0], parts[1]);
    }

    [Fact]
    public async Task BothAnswerARangePastTheEndWith416()
    {
        foreach (Func<string, string[], Task<RawHttpResponse>> get in Servers())
        {
            RawHttpResponse response = (await get("/static/big.bin", ["Range: bytes=999999-"])).AssertStatus(416);
            Assert.Equal($"bytes */{site.BigFile.Length}", response.Header("Content-Range"));
        }
    }

    [Fact]
    public async Task BothRedirectADirectoryToItsSlashAndServeItsIndex()
    {
        foreach (Func<string, string[], Task<RawHttpResponse>> get in Servers())
        {
            RawHttpResponse redirect = (await get("/static/docs", [])).AssertStatus(301);
            Assert.EndsWith("/static/docs/", redirect.Header("Location"));
            Assert.Equal(site.File("docs/index.html"), (await get("/static/docs/", [])).AssertStatus(200).Body);
        }
    }

    [Fact]
    public async Task BothSendTheGzipSiblingAsItIsWithVary()
    {
        foreach (Func<string, string[], Task<RawHttpResponse>> get in Servers())
        {
            RawHttpResponse response = (await get("/static/page.html", ["Accept-Encoding: gzip"])).AssertStatus(200);
            Assert.Equal("gzip", response.Header("Content-Encoding"));
            Assert.Equal(site.File("page.html.gz"), response.Body);
            Assert.Contains("Accept-Encoding", response.Header("Vary"));
        }
    }

    [Fact]
    public async Task BothCompressTheSameTypesSendVaryAndWeakenTheETag()
    {
        var report = new StringBuilder("| file | type | identity bytes | pyhost gzip bytes | nginx gzip bytes |\n|---|---|---|---|---|\n");
        foreach (string name in new[] { "style.css", "data.json", "logo.svg", "image.png", "site.0123456789ab.css" })
        {
            var sizes = new List<string>();
            var compressed = new List<bool>();
            foreach (Func<string, string[], Task<RawHttpResponse>> get in Servers())
            {
                RawHttpResponse response = (await get($"/static/{name}", ["Accept-Encoding: gzip"])).AssertStatus(200);
                bool isCompressed = response.Header("Content-Encoding") == "gzip";
                compressed.Add(isCompressed);
                Assert.Equal(site.File(name), HttpBodies.Decode(response.Header("Content-Encoding"), response.Body));
                if (isCompressed)
                {
                    Assert.Contains("Accept-Encoding", response.Header("Vary"));
                    Assert.StartsWith("W/\"", response.Header("ETag"));
                    Assert.Null(response.Header("Content-Length"));
                }
                sizes.Add(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            Assert.True(compressed[0] == compressed[1], $"{name}: pyhost compressed={compressed[0]}, nginx compressed={compressed[1]}");
            Assert.Equal(name != "image.png", compressed[0]);
            report.Append($"| {name} | {Path.GetExtension(name)} | {site.File(name).Length} | {sizes[0]} | {sizes[1]} |\n");
        }
        output.WriteLine(report.ToString());
        string artifacts = Path.Combine(Repository.Root, "artifacts");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllTextAsync(Path.Combine(artifacts, "static-compression-sizes.md"),
            "# gzip level 5 of the same files: pyhost --compress vs nginx gzip on\n\n" + report);
    }

    /// <summary>GET on pyhost, then the same GET on nginx (each with its own Host).</summary>
    private IEnumerable<Func<string, string[], Task<RawHttpResponse>>> Servers()
    {
        yield return (target, headers) => site.Site.GetAsync(target, headers);
        yield return async (target, headers) =>
        {
            await using RawHttpConnection connection = await site.Nginx.ConnectAsync();
            var request = new StringBuilder($"GET {target} HTTP/1.1\r\nHost: {site.Nginx.Authority}\r\n");
            foreach (string header in headers)
            {
                request.Append(header).Append("\r\n");
            }
            await connection.SendAsync(request.Append("\r\n").ToString());
            return await connection.ReadResponseAsync();
        };
    }
}
