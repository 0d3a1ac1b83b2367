using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

public sealed class PyramidTests(PyramidServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<PyramidServers>(servers, matrix, output)
{
    [Fact]
    public Task TheIniSettingsOfAppMainReachTheApp() => CompareAsync(
        "--paste development.ini: [app:main] with `use = egg:pyramid_example`, its settings in the app",
        async browser =>
        {
            Assert.Contains("<h1>Hello from development.ini</h1>", (await browser.GetAsync("/")).AssertStatus(200).BodyText);
            RawHttpResponse settings = (await browser.GetAsync("/settings")).AssertStatus(200);
            Assert.Equal("main", settings.Json().GetProperty("example.section").GetString());
        });

    [Fact]
    public Task RouteParametersAndTheJsonRenderer() => CompareAsync(
        "routes with parameters and the json renderer",
        async browser =>
        {
            RawHttpResponse hello = (await browser.GetAsync("/hello/ada?shout=1")).AssertStatus(200);
            Assert.Equal("Hello from development.ini, ada!", hello.Json().GetProperty("greeting").GetString());
            Assert.True(hello.Json().GetProperty("shout").GetBoolean());
        });

    [Fact]
    public Task RedirectsCarryAnAbsoluteLocationBuiltFromTheHostHeader() => CompareAsync(
        "HTTPFound with an absolute Location made from the request's host, followed",
        async browser =>
        {
            RawHttpResponse moved = (await browser.GetAsync("/old-home")).AssertStatus(302);
            Assert.Equal($"http://{browser.Server.Authority}/hello/visitor", moved.Header("Location"));
            (await browser.FollowRedirectsAsync(moved)).AssertStatus(200);
        });

    [Fact]
    public Task FormPostsAndTheNotFoundView() => CompareAsync(
        "a form post parsed by WebOb, and the app's own not-found view",
        async browser =>
        {
            RawHttpResponse echoed = (await browser.PostFormAsync("/echo", [new("city", "Zürich"), new("zoom", "12")])).AssertStatus(200);
            Assert.Equal("Zürich", echoed.Json().GetProperty("form").GetProperty("city").GetString());
            Assert.Equal("no page at /nope", (await browser.GetAsync("/nope")).AssertStatus(404).Json().GetProperty("error").GetString());
        });

    [Fact]
    public Task TheIniLoggersSectionIsApplied() => CompareAsync(
        "the ini's [loggers] applied: the app's INFO lines in the ini's format, its DEBUG lines dropped",
        async browser =>
        {
            int mark = browser.Server.LineCount;
            await browser.GetAsync("/");
            var logged = new Regex(@"pyramid-example INFO  \[pyramid_example\.views\] home page for 127\.0\.0\.1");
            await ServerOutput.WaitForAsync(browser.Server, logged, mark);
            Assert.DoesNotContain("below the level the ini sets", browser.Server.OutputSince(mark));
        });
}

public sealed class PyramidCallFormTests(PyramidCallFormServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<PyramidCallFormServers>(servers, matrix, output)
{
    [Fact]
    public Task TheCallFormSectionLoadsWithItsOwnSettings() => CompareAsync(
        "--paste development.ini#direct: [app:direct] with `use = call:pyramid_example:main`, its own settings",
        async browser =>
        {
            Assert.Contains("<h1>Hello from [app:direct]</h1>", (await browser.GetAsync("/")).AssertStatus(200).BodyText);
            Assert.Equal("direct", (await browser.GetAsync("/settings")).Json().GetProperty("example.section").GetString());
        });
}
