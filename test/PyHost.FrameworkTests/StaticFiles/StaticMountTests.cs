namespace PyHost.FrameworkTests.StaticFiles;

/// <summary>`--static URL_PREFIX=DIR` end to end: files, validators, ranges, and everything that must be refused.</summary>
public sealed class StaticMountTests(StaticSite site) : IClassFixture<StaticSite>
{
    private PyHostServer Server => site.Server;

    [Theory]
    [InlineData("site.css", "text/css; charset=utf-8")]
    [InlineData("app.js", "text/javascript; charset=utf-8")]
    [InlineData("logo.svg", "image/svg+xml; charset=utf-8")]
    [InlineData("data.json", "application/json; charset=utf-8")]
    [InlineData("page.html", "text/html; charset=utf-8")]
    [InlineData("font.woff2", "font/woff2")]
    [InlineData("notes.unknownext", "application/octet-stream")]
    public async Task FilesAreServedWithTheirMimeType(string name, string contentType)
    {
        RawHttpResponse response = (await WithoutTheApp(() => Server.GetAsync($"/static/{name}"))).AssertStatus(200);

        Assert.Equal(contentType, response.Header("Content-Type"));
        Assert.Equal($"contents of {name}\n", response.BodyText);
        Assert.Equal(response.Body.Length, response.Head.ContentLength);
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
    }

    [Theory]
    [InlineData("/static/with%20space.txt", "with space.txt")]
    [InlineData("/static/caf%C3%A9.txt", "café.txt")]
    [InlineData("/static//sub//inner.txt", null)]
    [InlineData("/static/deep/inner.txt", null)]
    [InlineData("/static/link-inside", null)]
    public async Task EscapedNamesDoubleSlashesNestedMountsAndLinksInsideTheDirectoryResolve(string target, string? name)
    {
        RawHttpResponse response = (await WithoutTheApp(() => Server.GetAsync(target))).AssertStatus(200);

        Assert.Equal(name is null ? "inner\n" : $"contents of {name}\n", response.BodyText);
    }

    [Fact]
    public async Task HeadSendsTheHeadersWithoutTheBody()
    {
        RawHttpResponse head = await WithoutTheApp(() => Server.SendAsync(Server.Request("HEAD", "/static/big.bin"), bodyAllowed: false));

        head.AssertStatus(200);
        Assert.Equal(site.BigFile.Length, head.Head.ContentLength);
        Assert.NotNull(head.Header("ETag"));
        Assert.Empty(head.Body);
    }

    [Fact]
    public async Task ValidatorsAnswerConditionalRequestsWith304And412()
    {
        RawHttpResponse first = (await Server.GetAsync("/static/site.css")).AssertStatus(200);
        string etag = first.Header("ETag")!;
        string lastModified = first.Header("Last-Modified")!;
        Assert.Matches("^\"[0-9a-f]+-[0-9a-f]+\"$", etag);

        await WithoutTheApp(async () =>
        {
            RawHttpResponse notModified = (await Server.GetAsync("/static/site.css", $"If-None-Match: {etag}")).AssertStatus(304);
            Assert.Equal(etag, notModified.Header("ETag"));
            Assert.Empty(notModified.Body);
            (await Server.GetAsync("/static/site.css", $"If-None-Match: \"other\", W/{etag}")).AssertStatus(304);
            (await Server.GetAsync("/static/site.css", $"If-Modified-Since: {lastModified}")).AssertStatus(304);
            (await Server.GetAsync("/static/site.css", "If-None-Match: \"stale\"")).AssertStatus(200);
            (await Server.GetAsync("/static/site.css", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT")).AssertStatus(200);
            (await Server.GetAsync("/static/site.css", "If-Match: \"stale\"")).AssertStatus(412);
            (await Server.GetAsync("/static/site.css", "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT")).AssertStatus(412);
            return first;
        });
    }

    [Theory]
    [InlineData("bytes=0-99", 0, 100)]
    [InlineData("bytes=1000-", 1000, 256 * 1024 - 1000)]
    [InlineData("bytes=-500", 256 * 1024 - 500, 500)]
    [InlineData("bytes=262000-999999", 262000, 256 * 1024 - 262000)]
    public async Task ARangeGets206WithThatSlice(string range, int start, int length)
    {
        RawHttpResponse partial = (await WithoutTheApp(() => Server.GetAsync("/static/big.bin", $"Range: {range}"))).AssertStatus(206);

        Assert.Equal(site.BigFile[start..(start + length)], partial.Body);
        Assert.Equal($"bytes {start}-{start + length - 1}/{site.BigFile.Length}", partial.Header("Content-Range"));
        Assert.Equal(length, partial.Head.ContentLength);
    }

    [Fact]
    public async Task RangesBeyondTheEndGet416AndOthersTheWholeFile()
    {
        await WithoutTheApp(async () =>
        {
            RawHttpResponse unsatisfiable = (await Server.GetAsync("/static/big.bin", "Range: bytes=999999-")).AssertStatus(416);
            Assert.Equal($"bytes */{site.BigFile.Length}", unsatisfiable.Header("Content-Range"));
            // Overlapping ranges, another unit, nonsense: RFC 9110 §14.2 lets a server ignore Range and send it all.
            foreach (string range in new[] { "bytes=0-9,5-6", "items=0-1", "bytes=5-1", "bytes=abc" })
            {
                Assert.Equal(site.BigFile, (await Server.GetAsync("/static/big.bin", $"Range: {range}")).AssertStatus(200).Body);
            }
            string etag = (await Server.GetAsync("/static/big.bin")).Header("ETag")!;
            (await Server.GetAsync("/static/big.bin", "Range: bytes=0-9", $"If-Range: {etag}")).AssertStatus(206);
            return (await Server.GetAsync("/static/big.bin", "Range: bytes=0-9", "If-Range: \"changed\"")).AssertStatus(200);
        });
    }

    [Theory]
    [InlineData("/static")]
    [InlineData("/static/")]
    [InlineData("/static/sub")]
    [InlineData("/static/sub/")]
    [InlineData("/static/missing.txt")]
    [InlineData("/static/deep/")]
    public async Task DirectoriesAreNeverListedAndMissingFilesAre404(string target)
    {
        RawHttpResponse response = (await WithoutTheApp(() => Server.GetAsync(target))).AssertStatus(404);

        Assert.DoesNotContain("inner.txt", response.BodyText);
        Assert.Contains("There is no file at this address.", response.BodyText);
    }

    [Theory]
    [InlineData("/static/../outside/secret.txt")]
    [InlineData("/static/sub/../../outside/secret.txt")]
    [InlineData("/static/%2e%2e/outside/secret.txt")]
    [InlineData("/static/%2E%2E/outside/secret.txt")]
    [InlineData("/static/.%2e/outside/secret.txt")]
    [InlineData("/static/./site.css")]
    [InlineData("/static/sub%2F..%2F..%2Foutside%2Fsecret.txt")]
    [InlineData("/static/sub%2f..%2f..%2foutside%2fsecret.txt")]
    [InlineData("/static/..%5Coutside%5Csecret.txt")]
    [InlineData("/static/sub\\..\\site.css")]
    [InlineData("/static/site.css%00.txt")]
    [InlineData("/static/site.css%0A")]
    [InlineData("/static/caf%E9.txt")]
    [InlineData("/static/100%.txt")]
    public async Task TraversalAndMalformedPathsAreRefusedWith400(string target)
    {
        RawHttpResponse response = await WithoutTheApp(() => Server.GetAsync(target));

        response.AssertStatus(400);
        Assert.DoesNotContain(StaticSite.Secret, response.BodyText);
    }

    [Theory]
    [InlineData("/static/link-outside")]
    [InlineData("/static/dir-link-outside/secret.txt")]
    public async Task SymbolicLinksLeadingOutOfTheDirectoryAreRefusedWith403(string target)
    {
        RawHttpResponse response = (await WithoutTheApp(() => Server.GetAsync(target))).AssertStatus(403);

        Assert.DoesNotContain(StaticSite.Secret, response.BodyText);
    }

    [Fact]
    public async Task OnlyGetAndHeadAreAllowed()
    {
        RawHttpResponse response = (await WithoutTheApp(() => Server.PostAsync("/static/site.css", "x=1"))).AssertStatus(405);

        Assert.Equal("GET, HEAD", response.Header("Allow"));
    }

    [Theory]
    [InlineData("/staticfile.css")]
    [InlineData("/other/static/site.css")]
    [InlineData("/%73tatic/site.css")]
    public async Task PathsOutsideTheMountsGoToTheApp(string target)
    {
        int before = site.RequestsThatReachedTheApp().Count;

        RawHttpResponse response = (await Server.GetAsync(target)).AssertStatus(200);

        Assert.Equal("from the app", response.BodyText);
        Assert.Equal(before + 1, site.RequestsThatReachedTheApp().Count);
    }

    [Fact]
    public async Task AnEmptyFileIsServedEmpty()
    {
        RawHttpResponse response = (await WithoutTheApp(() => Server.GetAsync("/static/empty.txt", "Range: bytes=0-10"))).AssertStatus(200);

        Assert.Equal(0, response.Head.ContentLength);
        Assert.Equal("text/plain; charset=utf-8", response.Header("Content-Type"));
    }

    [Fact]
    public async Task StaticAnswersAreInTheAccessLogWithTheirBodySize()
    {
        (await Server.GetAsync("/static/data.json?logged=1")).AssertStatus(200);
        (await Server.GetAsync("/static/big.bin?logged=1", "Range: bytes=0-9")).AssertStatus(206);

        string[] expected =
        [
            $"\"GET /static/data.json?logged=1 HTTP/1.1\" 200 {"contents of data.json\n".Length} ",
            "\"GET /static/big.bin?logged=1 HTTP/1.1\" 206 10 ",
        ];
        // The access log is written by a background task: wait for it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!expected.All(File.ReadAllText(site.AccessLog).Contains) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }
        string log = File.ReadAllText(site.AccessLog);
        Assert.All(expected, line => Assert.Contains(line, log));
    }

    [Fact]
    public void EachMountIsNamedWhenPyHostStarts()
    {
        Assert.Contains($"Static files: /static/ from {site.SiteDirectory}, answered without a worker", Server.Process.Output);
        Assert.Contains($"Static files: /static/deep/ from {Path.Combine(site.SiteDirectory, "sub")}, answered without a worker", Server.Process.Output);
    }

    /// <summary>Runs requests that the front must answer itself, and checks that no worker saw any of them.</summary>
    private async Task<RawHttpResponse> WithoutTheApp(Func<Task<RawHttpResponse>> requests)
    {
        int before = site.RequestsThatReachedTheApp().Count;
        RawHttpResponse response = await requests();
        IReadOnlyList<string> reached = site.RequestsThatReachedTheApp();
        Assert.True(reached.Count == before, $"These reached the app: {string.Join(", ", reached.Skip(before))}");
        return response;
    }
}
