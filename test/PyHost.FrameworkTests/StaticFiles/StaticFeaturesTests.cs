namespace PyHost.FrameworkTests.StaticFiles;

/// <summary>The static features beyond files and validators, end to end against the real binary.</summary>
public sealed class StaticFeaturesTests(StaticFeaturesSite site) : IClassFixture<StaticFeaturesSite>
{
    private PyHostServer Site => site.Site;

    [Theory]
    [InlineData("gzip, deflate, br, zstd", "br")]           // the mount's order: br, zstd, gzip
    [InlineData("zstd, gzip", "zstd")]
    [InlineData("gzip", "gzip")]
    [InlineData("br;q=0.5, zstd;q=0.9, gzip;q=0.1", "zstd")]
    [InlineData("br;q=0, zstd;q=0, gzip", "gzip")]
    [InlineData("*", "br")]
    public async Task APrecompressedSiblingIsSentForTheCodingTheClientPrefers(string acceptEncoding, string coding)
    {
        RawHttpResponse response = (await Site.GetAsync("/static/page.html", $"Accept-Encoding: {acceptEncoding}")).AssertStatus(200);

        Assert.Equal(coding, response.Header("Content-Encoding"));
        Assert.Equal(site.File("page.html." + (coding == "zstd" ? "zst" : coding == "gzip" ? "gz" : "br")), response.Body);
        Assert.Equal(site.Page, HttpBodies.Decode(coding, response.Body));
        Assert.Equal("Accept-Encoding", response.Header("Vary"));
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal(response.Body.Length, response.Head.ContentLength);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("deflate")]
    [InlineData("identity")]
    [InlineData("gzip;q=0, br;q=0, zstd;q=0")]
    public async Task WithoutAnAcceptedCodingTheFileItselfIsSentWithVary(string? acceptEncoding)
    {
        string[] headers = acceptEncoding is null ? [] : [$"Accept-Encoding: {acceptEncoding}"];
        RawHttpResponse response = (await Site.GetAsync("/static/page.html", headers)).AssertStatus(200);

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal(site.Page, response.Body);
        Assert.Equal("Accept-Encoding", response.Header("Vary"));
    }

    [Fact]
    public async Task EachEncodingHasItsOwnStrongETagAndRevalidatesWithIt()
    {
        var tags = new Dictionary<string, string>();
        foreach (string coding in new[] { "identity", "gzip", "br", "zstd" })
        {
            RawHttpResponse response = (await Site.GetAsync("/static/page.html", $"Accept-Encoding: {coding}")).AssertStatus(200);
            tags[coding] = response.Header("ETag")!;
            Assert.StartsWith("\"", tags[coding]);
        }
        Assert.Equal(4, tags.Values.Distinct().Count());

        RawHttpResponse notModified = (await Site.GetAsync("/static/page.html", "Accept-Encoding: br", $"If-None-Match: {tags["br"]}")).AssertStatus(304);
        Assert.Equal(tags["br"], notModified.Header("ETag"));
        Assert.Equal("Accept-Encoding", notModified.Header("Vary"));
        Assert.Null(notModified.Header("Content-Encoding"));
        // The identity's tag does not validate the Brotli representation, nor the other way round.
        (await Site.GetAsync("/static/page.html", "Accept-Encoding: br", $"If-None-Match: {tags["identity"]}")).AssertStatus(200);
        (await Site.GetAsync("/static/page.html", $"If-None-Match: {tags["br"]}")).AssertStatus(200);
    }

    [Fact]
    public async Task ARangeOfAPrecompressedRepresentationIsARangeOfItsBytes()
    {
        byte[] brotli = site.File("page.html.br");
        RawHttpResponse response = (await Site.GetAsync("/static/page.html", "Accept-Encoding: br", "Range: bytes=0-9")).AssertStatus(206);

        Assert.Equal(brotli[..10], response.Body);
        Assert.Equal($"bytes 0-9/{brotli.Length}", response.Header("Content-Range"));
        Assert.Equal("br", response.Header("Content-Encoding"));
    }

    [Fact]
    public async Task SeveralRangesAreAnsweredWithMultipartByteranges()
    {
        RawHttpResponse response = (await Site.GetAsync("/static/big.bin", "Range: bytes=0-9, 100-199, -5")).AssertStatus(206);

        var parts = HttpBodies.ByteRangeParts(response);
        int length = site.BigFile.Length;
        Assert.Equal([$"bytes 0-9/{length}", $"bytes 100-199/{length}", $"bytes {length - 5}-{length - 1}/{length}"], parts.Select(p => p.ContentRange));
        Assert.Equal(site.BigFile[..10], parts[0].Bytes);
        Assert.Equal(site.BigFile[100..200], parts[1].Bytes);
        Assert.Equal(site.BigFile[^5..], parts[2].Bytes);
        Assert.Equal(response.Body.Length, response.Head.ContentLength);
        Assert.Null(response.Header("Content-Range"));
    }

    [Theory]
    [InlineData("bytes=0-9,5-14")]                          // overlapping
    [InlineData("bytes=0-,10-19")]
    public async Task OverlappingOrTooManyRangesGetTheWholeFile(string range)
    {
        RawHttpResponse response = (await Site.GetAsync("/static/big.bin", $"Range: {range}")).AssertStatus(200);

        Assert.Equal(site.BigFile, response.Body);
    }

    [Fact]
    public async Task SeventeenRangesGetTheWholeFileAndSixteenAreServed()
    {
        string sixteen = "bytes=" + string.Join(',', Enumerable.Range(0, 16).Select(i => $"{i * 100}-{i * 100 + 9}"));

        Assert.Equal(16, HttpBodies.ByteRangeParts((await Site.GetAsync("/static/big.bin", $"Range: {sixteen}")).AssertStatus(206)).Count);
        Assert.Equal(site.BigFile, (await Site.GetAsync("/static/big.bin", $"Range: {sixteen},5000-5009")).AssertStatus(200).Body);
    }

    [Fact]
    public async Task HashedNamesAreCachedForGoodAndRulesApplyInOrder()
    {
        RawHttpResponse hashed = (await Site.GetAsync("/static/site.0123456789ab.css")).AssertStatus(200);
        RawHttpResponse html = (await Site.GetAsync("/static/page.html")).AssertStatus(200);
        RawHttpResponse plain = (await Site.GetAsync("/static/style.css")).AssertStatus(200);
        RawHttpResponse revalidated = (await Site.GetAsync("/static/site.0123456789ab.css", $"If-None-Match: {hashed.Header("ETag")}")).AssertStatus(304);

        Assert.Equal(StaticFeaturesSite.Immutable, hashed.Header("Cache-Control"));
        Assert.Equal("no-cache", html.Header("Cache-Control"));
        Assert.Null(plain.Header("Cache-Control"));
        Assert.Equal(StaticFeaturesSite.Immutable, revalidated.Header("Cache-Control"));
    }

    [Fact]
    public async Task ADirectoryIsRedirectedToItsSlashThenServedItsIndex()
    {
        RawHttpResponse redirect = (await Site.GetAsync("/static/docs?lang=en")).AssertStatus(301);
        RawHttpResponse index = (await Site.GetAsync("/static/docs/")).AssertStatus(200);

        Assert.Equal("/static/docs/?lang=en", redirect.Header("Location"));
        Assert.Equal(site.File("docs/index.html"), index.Body);
        Assert.Equal("no-cache", index.Header("Cache-Control"));   // the rules see the index file's name
    }

    [Fact]
    public async Task AMissingFileGetsTheSitesOwn404Page()
    {
        RawHttpResponse missing = (await Site.GetAsync("/static/nothing-here.css")).AssertStatus(404);
        RawHttpResponse head = await Site.SendAsync(Site.Request("HEAD", "/static/nothing-here.css"), bodyAllowed: false);

        Assert.Equal(System.IO.File.ReadAllBytes(Path.Combine(site.Root, "pages", "404.html")), missing.Body);
        Assert.Equal("text/html; charset=utf-8", missing.Header("Content-Type"));
        head.AssertStatus(404);
        Assert.Equal(missing.Body.Length, head.Head.ContentLength);
    }

    [Fact]
    public async Task TheFrontsOwnTimeoutAnswerUsesTheSites50xPage()
    {
        RawHttpResponse response = (await Site.GetAsync("/slow")).AssertStatus(504);

        Assert.Equal(System.IO.File.ReadAllBytes(Path.Combine(site.Root, "pages", "50x.html")), response.Body);
    }

    [Theory]
    [InlineData("/users/42")]
    [InlineData("/deep/link/to/a/view?tab=2")]
    [InlineData("/")]
    public async Task ASinglePageAppGetsItsIndexForEveryPathThatIsNoFile(string target)
    {
        RawHttpResponse response = (await site.Spa.GetAsync(target)).AssertStatus(200);

        Assert.Contains("<div id=\"app\"></div>", response.BodyText);
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
    }

    [Fact]
    public async Task ASinglePageAppsOwnFilesAreServedAsThemselves()
    {
        RawHttpResponse script = (await site.Spa.GetAsync("/app.js")).AssertStatus(200);
        RawHttpResponse traversal = await site.Spa.GetAsync("/../etc/passwd");

        Assert.Equal("console.log('router');\n", script.BodyText);
        traversal.AssertStatus(400);   // refused before any fallback
    }
}
