using System.Security.Cryptography;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

public sealed class FlaskTests(FlaskServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<FlaskServers>(servers, matrix, output)
{
    [Fact]
    public Task TheSessionCookieCountsVisitsAcrossWorkers() => CompareAsync(
        "sessions: a signed cookie session counts visits, whichever worker answers",
        async browser =>
        {
            for (int visit = 1; visit <= 3; visit++)
            {
                RawHttpResponse home = (await browser.GetAsync("/")).AssertStatus(200);
                Assert.Equal($"Visits in this session: {visit}", Html.ElementWithClass(home, "visits"));
            }
        });

    [Fact]
    public Task SignInRedirectsToThePrivatePageAndSignOutLocksItAgain() => CompareAsync(
        "blueprints and Jinja: 403 handler, sign-in form, redirect, private page, sign-out",
        async browser =>
        {
            RawHttpResponse locked = (await browser.GetAsync("/private")).AssertStatus(403);
            Assert.Contains("This page is for signed-in visitors.", locked.BodyText);

            RawHttpResponse signedIn = (await browser.PostFormAsync("/login", [new("name", "Ada")])).AssertStatus(302);
            Assert.Equal("/private", signedIn.Header("Location"));
            Assert.Contains("<h1>Hello, Ada</h1>", (await browser.FollowRedirectsAsync(signedIn)).AssertStatus(200).BodyText);

            RawHttpResponse signedOut = (await browser.PostFormAsync("/logout", [])).AssertStatus(302);
            Assert.Equal("/", signedOut.Header("Location"));
            (await browser.GetAsync("/private")).AssertStatus(403);
        });

    [Fact]
    public Task UploadThenSendFileWholeAsRangesAndAsAnAttachment() => CompareAsync(
        "upload and send_file: a multipart upload, then the file whole, as a byte range (206) and as a download",
        async browser =>
        {
            byte[] content = new byte[200 * 1024];
            new Random(7).NextBytes(content);
            RawHttpResponse uploaded = await browser.PostMultipartAsync("/files/", [], new FormFile("file", "map tile.png", "image/png", content));
            uploaded.AssertStatus(302);
            Assert.Equal("/files/map_tile.png", uploaded.Header("Location"));

            RawHttpResponse described = (await browser.FollowRedirectsAsync(uploaded)).AssertStatus(200);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), Html.ElementWithClass(described, "sha256"));

            RawHttpResponse whole = (await browser.GetAsync("/files/map_tile.png/raw")).AssertStatus(200);
            Assert.Equal(content, whole.Body);
            Assert.Equal("image/png", whole.Header("Content-Type"));

            RawHttpResponse range = (await browser.GetAsync("/files/map_tile.png/raw", "Range: bytes=1000-1999")).AssertStatus(206);
            Assert.Equal(content[1000..2000], range.Body);
            Assert.Equal($"bytes 1000-1999/{content.Length}", range.Header("Content-Range"));

            (await browser.GetAsync("/files/map_tile.png/raw", $"If-None-Match: {whole.Header("ETag")}")).AssertStatus(304);

            RawHttpResponse download = (await browser.GetAsync("/files/map_tile.png/raw?download=1")).AssertStatus(200);
            Assert.Equal("attachment; filename=map_tile.png", download.Header("Content-Disposition"));
        });

    [Fact]
    public Task StreamWithContextReadsTheRequestInsideTheGenerator() => CompareAsync(
        "stream_with_context: a generator that reads request.args, read chunk by chunk",
        async browser =>
        {
            await StreamAssert.ArrivesOneByOneAsync(browser, "/files/stream?lines=4&prefix=row", [.. Enumerable.Range(1, 4).Select(line => $"row {line} of 4\n")],
                pause: TimeSpan.FromSeconds(0.2));
        });

    [Fact]
    public Task ErrorHandlersRenderTheSitesPages() => CompareAsync(
        "error handlers: 404 and 500 rendered from the app's templates",
        async browser =>
        {
            Assert.Contains("Nothing lives at /no/such/picture.", (await browser.GetAsync("/no/such/picture")).AssertStatus(404).BodyText);
            Assert.Contains("<h1>Something broke</h1>", (await browser.GetAsync("/boom")).AssertStatus(500).BodyText);
            (await browser.GetAsync("/files/missing.png")).AssertStatus(404);
        });

    [Fact]
    public Task StaticFolderFromTheFrontMatchesFlasksOwnStaticRoute() => CheckPyHostAsync(
        "static folder served by --static (pyhost only): same status, type, length and bytes as Flask's static route under gunicorn",
        async onPyHost =>
        {
            var onGunicorn = new Browser(Servers.Gunicorn, Servers.Normalizer);
            foreach (string path in new[] { "/static/gallery.css", "/static/missing.css" })
            {
                RawHttpResponse fromFront = await onPyHost.GetAsync(path);
                RawHttpResponse fromFlask = await onGunicorn.GetAsync(path);
                Assert.Equal(fromFlask.StatusCode, fromFront.StatusCode);
                if (fromFlask.StatusCode == 200)
                {
                    Assert.Equal(fromFlask.Header("Content-Type"), fromFront.Header("Content-Type"));
                    Assert.Equal(fromFlask.Header("Content-Length"), fromFront.Header("Content-Length"));
                    Assert.Equal(fromFlask.Body, fromFront.Body);
                    (await onPyHost.GetAsync(path, $"If-None-Match: {fromFront.Header("ETag")}")).AssertStatus(304);
                }
            }
        });
}
