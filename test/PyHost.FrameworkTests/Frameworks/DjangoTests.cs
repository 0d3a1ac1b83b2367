using System.Security.Cryptography;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

public sealed class DjangoTests(DjangoServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : DjangoScenarios<DjangoServers>(servers, matrix, output);

/// <summary>The same project through asgi.py, against uvicorn: every scenario of the WSGI deployment.</summary>
public sealed class DjangoAsgiTests(DjangoAsgiServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : DjangoScenarios<DjangoAsgiServers>(servers, matrix, output)
{
    protected override bool SyncGeneratorsStream => false;
}

/// <summary>What a Django site is used for, run against pyhost and a reference serving examples/django.</summary>
public abstract class DjangoScenarios<TServers>(TServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<TServers>(servers, matrix, output)
    where TServers : ExampleServers, IDjangoServers
{
    [Fact]
    public Task AdminSignInThenAddANoteThroughTheAdminFormWithItsCsrfToken() => CompareAsync(
        "admin: sign in, add a note through the admin form with its CSRF token, see it listed",
        async browser =>
        {
            RawHttpResponse bounced = await browser.GetAsync("/admin/");
            bounced.AssertStatus(302);
            Assert.Equal("/admin/login/?next=/admin/", bounced.Header("Location"));

            RawHttpResponse login = (await browser.FollowRedirectsAsync(bounced)).AssertStatus(200);
            RawHttpResponse signedIn = await browser.PostFormAsync("/admin/login/?next=/admin/", [
                new("csrfmiddlewaretoken", Html.HiddenField(login, "csrfmiddlewaretoken")),
                new("username", DjangoServers.AdminUser),
                new("password", DjangoServers.AdminPassword),
                new("next", "/admin/"),
            ]);
            signedIn.AssertStatus(302);
            Assert.NotNull(browser.Cookie("sessionid"));
            Assert.Contains("Site administration", (await browser.FollowRedirectsAsync(signedIn)).AssertStatus(200).BodyText);

            RawHttpResponse addForm = (await browser.GetAsync("/admin/notes/note/add/")).AssertStatus(200);
            RawHttpResponse added = await browser.PostFormAsync("/admin/notes/note/add/", [
                new("csrfmiddlewaretoken", Html.HiddenField(addForm, "csrfmiddlewaretoken")),
                new("title", "Written in the admin"),
                new("body", "Through the admin's own form."),
                new("_save", "Save"),
            ]);
            added.AssertStatus(302);
            Assert.Equal("/admin/notes/note/", added.Header("Location"));
            string list = (await browser.FollowRedirectsAsync(added)).AssertStatus(200).BodyText;
            Assert.Contains("Written in the admin", list);
            Assert.Contains("was added successfully", list);
        });

    [Fact]
    public Task SignInOnTheLoginPageThenTheSessionCountsVisitsAcrossWorkers() => CompareAsync(
        "login page: redirect to sign in, sign in, a database session counts visits across workers",
        async browser =>
        {
            RawHttpResponse bounced = (await browser.GetAsync("/notes/")).AssertStatus(302);
            Assert.Equal("/accounts/login/?next=/notes/", bounced.Header("Location"));
            await SignInAsync(browser, "/notes/");
            for (int visit = 1; visit <= 3; visit++)
            {
                RawHttpResponse page = (await browser.GetAsync("/notes/")).AssertStatus(200);
                Assert.Equal($"Visits to this page in this session: {visit}", Html.ElementWithClass(page, "visits"));
                Assert.Contains("Signed in as admin", page.BodyText);
            }
        });

    [Fact]
    public Task NoteFormRefusesAPostWithoutItsCsrfTokenAndSavesOneWithIt() => CompareAsync(
        "CSRF form: a post without the token gets 403, with it the note is saved and shown",
        async browser =>
        {
            await SignInAsync(browser, "/notes/");
            RawHttpResponse form = (await browser.GetAsync("/notes/new/")).AssertStatus(200);
            (await browser.PostFormAsync("/notes/new/", [new("title", "No token"), new("body", "")])).AssertStatus(403);

            RawHttpResponse saved = await browser.PostFormAsync("/notes/new/", [
                new("csrfmiddlewaretoken", Html.HiddenField(form, "csrfmiddlewaretoken")),
                new("title", "Groceries & <things>"),
                new("body", "Milk\nBread"),
            ]);
            saved.AssertStatus(302);
            RawHttpResponse note = (await browser.FollowRedirectsAsync(saved)).AssertStatus(200);
            Assert.Contains("<h1>Groceries &amp; &lt;things&gt;</h1>", note.BodyText);
            Assert.Contains("Milk<br>Bread", note.BodyText);
        });

    [Fact]
    public Task UploadAFileThenDownloadItAgain() => CompareAsync(
        "upload: a 300 KB file through a multipart form with its CSRF token, measured by the app, downloaded again",
        async browser =>
        {
            byte[] content = new byte[300 * 1024];
            new Random(4).NextBytes(content);
            await SignInAsync(browser, "/notes/");
            RawHttpResponse form = (await browser.GetAsync("/upload/")).AssertStatus(200);
            RawHttpResponse uploaded = await browser.PostMultipartAsync(
                "/upload/",
                [new("csrfmiddlewaretoken", Html.HiddenField(form, "csrfmiddlewaretoken"))],
                new FormFile("file", "survey.bin", "application/octet-stream", content));
            uploaded.AssertStatus(302);

            RawHttpResponse described = (await browser.FollowRedirectsAsync(uploaded)).AssertStatus(200);
            Assert.Equal($"{content.Length} bytes", Html.ElementWithClass(described, "size"));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), Html.ElementWithClass(described, "sha256"));

            string download = Html.LinksStartingWith(described, "/upload/").Single(link => link.EndsWith("/download", StringComparison.Ordinal));
            RawHttpResponse downloaded = (await browser.GetAsync(download)).AssertStatus(200);
            Assert.Equal(content, downloaded.Body);
            Assert.Equal("attachment; filename=\"survey.bin\"", downloaded.Header("Content-Disposition"));
        });

    /// <summary>
    /// Whether a StreamingHttpResponse of a sync generator reaches the client line by line. Under WSGI it does; Django
    /// 3.2's ASGI handler runs the generator on the event loop thread between its sends, so no server can write a
    /// line before the generator is done (uvicorn neither); Django 4.2 added async iterators for that.
    /// </summary>
    protected virtual bool SyncGeneratorsStream => true;

    [Fact]
    public Task StreamingResponseArrivesLineByLine() => CompareAsync(
        SyncGeneratorsStream
            ? "streaming: a StreamingHttpResponse read chunk by chunk, each line as it is produced"
            : "streaming: a StreamingHttpResponse of a sync generator arrives whole and in order (Django 3.2's ASGI handler runs it on the event loop)",
        async browser =>
        {
            string[] lines = [.. Enumerable.Range(1, 5).Select(line => $"line {line} of 5\n")];
            if (SyncGeneratorsStream)
            {
                await StreamAssert.ArrivesOneByOneAsync(browser, "/stream/?lines=5", lines, pause: TimeSpan.FromSeconds(0.2));
            }
            else
            {
                // Read whole: how the bytes that come at once are cut into HTTP chunks is each server's own business.
                Assert.Equal(string.Concat(lines), (await browser.GetAsync("/stream/?lines=5")).AssertStatus(200).BodyText);
            }
        });

    [Fact]
    public Task UnknownAddressGetsTheSitesOwn404Page() => CompareAsync(
        "custom 404: the site's own template, with DEBUG off",
        async browser =>
        {
            RawHttpResponse missing = (await browser.GetAsync("/no/such/page/")).AssertStatus(404);
            Assert.Contains("There is no page at /no/such/page/.", missing.BodyText);
        });

    [Fact]
    public Task CollectedStaticFilesAreServedByTheFront() => CheckPyHostAsync(
        "collectstatic output served by --static /static/ (pyhost only): the page's assets and the admin's, with validators",
        async browser =>
        {
            RawHttpResponse home = (await browser.GetAsync("/")).AssertStatus(200);
            IReadOnlyList<string> assets = Html.LinksStartingWith(home, "/static/");
            Assert.Equal(["/static/notes/app.js", "/static/notes/logo.svg", "/static/notes/site.css"], assets.Order(StringComparer.Ordinal).ToArray());
            foreach (string asset in assets.Concat(["/static/admin/css/base.css", "/static/admin/js/core.js"]))
            {
                RawHttpResponse file = (await browser.GetAsync(asset)).AssertStatus(200);
                Assert.Equal(File.ReadAllBytes(Path.Combine(Servers.CollectedStatic, asset["/static/".Length..])), file.Body);
                Assert.Equal(file.Body.Length, file.Head.ContentLength);
                Assert.NotNull(file.Header("ETag"));
                (await browser.GetAsync(asset, $"If-None-Match: {file.Header("ETag")}")).AssertStatus(304);
            }
            Assert.Equal("text/css; charset=utf-8", (await browser.GetAsync("/static/notes/site.css")).Header("Content-Type"));
            Assert.Equal("text/javascript; charset=utf-8", (await browser.GetAsync("/static/notes/app.js")).Header("Content-Type"));
            Assert.Equal("image/svg+xml; charset=utf-8", (await browser.GetAsync("/static/notes/logo.svg")).Header("Content-Type"));
        });

    private static async Task SignInAsync(Browser browser, string next)
    {
        RawHttpResponse login = (await browser.GetAsync($"/accounts/login/?next={next}")).AssertStatus(200);
        RawHttpResponse signedIn = await browser.PostFormAsync("/accounts/login/", [
            new("csrfmiddlewaretoken", Html.HiddenField(login, "csrfmiddlewaretoken")),
            new("username", DjangoServers.AdminUser),
            new("password", DjangoServers.AdminPassword),
            new("next", next),
        ]);
        signedIn.AssertStatus(302);
        Assert.Equal(next, signedIn.Header("Location"));
    }
}
