using System.Text.Json;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

/// <summary>examples/starlette through pyhost and through uvicorn, compared.</summary>
public sealed class StarletteTests(StarletteServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<StarletteServers>(servers, matrix, output)
{
    [Fact]
    public Task RoutesConvertPathParametersAndAMountedAppSeesItsRootPath() => CompareAsync(
        "routing: a typed path parameter, query parameters, a mounted sub-app (root_path), 404 for the rest",
        async browser =>
        {
            JsonElement user = (await browser.GetAsync("/users/42?tab=posts")).AssertStatus(200).Json();
            Assert.Equal(42, user.GetProperty("user_id").GetInt32());
            Assert.Equal("posts", user.GetProperty("query").GetProperty("tab").GetString());
            (await browser.GetAsync("/users/abc")).AssertStatus(404);
            Assert.Equal("/api", (await browser.GetAsync("/api/status")).AssertStatus(200).Json().GetProperty("root_path").GetString());
        });

    [Fact]
    public Task ATemplatePageAndAFormThatRedirects() => CompareAsync(
        "Jinja templates and a form: sign the guestbook, 303 back to the page that lists the entry",
        async browser =>
        {
            (await browser.GetAsync("/")).AssertStatus(200);
            (await browser.PostFormAsync("/sign", [new("name", "")])).AssertStatus(400);
            RawHttpResponse signed = (await browser.PostFormAsync("/sign", [new("name", "Grace")])).AssertStatus(303);
            Assert.Equal("/", signed.Header("Location"));
            Assert.Contains("<li>Grace</li>", (await browser.FollowRedirectsAsync(signed)).AssertStatus(200).BodyText);
        });

    [Fact]
    public Task StaticFilesAreServedByTheApp() => CompareAsync(
        "StaticFiles: a stylesheet with its type, and 404 for a missing file",
        async browser =>
        {
            RawHttpResponse css = (await browser.GetAsync("/static/site.css")).AssertStatus(200);
            Assert.StartsWith("text/css", css.Header("Content-Type"));
            (await browser.GetAsync("/static/missing.css")).AssertStatus(404);
        });

    [Fact]
    public Task ServerSentEventsArriveOneByOne() => CompareAsync(
        "server-sent events: text/event-stream, each event read as it is sent",
        async browser =>
        {
            StreamedResponse streamed = await StreamAssert.ArrivesOneByOneAsync(browser, "/events?count=4",
                [.. Enumerable.Range(0, 4).Select(n => $"id: {n}\nevent: tick\ndata: {{\"n\": {n}}}\n\n")], pause: TimeSpan.FromSeconds(0.15));
            Assert.Equal("text/event-stream; charset=utf-8", streamed.Head.Header("Content-Type"));
        });
}
