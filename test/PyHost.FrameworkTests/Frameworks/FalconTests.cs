using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

public sealed class FalconTests(FalconServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<FalconServers>(servers, matrix, output)
{
    [Fact]
    public Task CreateReadAndDeleteWithJsonInAndOut() => CompareAsync(
        "JSON in and out through resp.media: create (201, Location), read, delete (204), then 404",
        browser => TodoApiScenario.CreateReadDeleteAsync(browser, "Renew the certificate"));

    [Fact]
    public Task TypedRouteParametersAndQueryParameters() => CompareAsync(
        "route parameters ({name}, {item_id:int}) and typed query parameters",
        async browser =>
        {
            Assert.Equal("Hello, Linus!", (await browser.GetAsync("/hello/Linus")).AssertStatus(200).Json().GetProperty("greeting").GetString());
            foreach (string title in new[] { "One", "Two", "Three" })
            {
                (await browser.SendJsonAsync("POST", "/items", $$"""{"title": "{{title}}"}""")).AssertStatus(201);
            }
            Assert.Equal(2, (await browser.GetAsync("/items?limit=2")).AssertStatus(200).Json().GetProperty("count").GetInt32());
            (await browser.GetAsync("/items?limit=0")).AssertStatus(400);
            (await browser.GetAsync("/items/not-a-number")).AssertStatus(404);
        });

    [Fact]
    public Task MalformedJsonGetsFalconsErrorDocument() => CompareAsync(
        "errors: malformed JSON and an invalid item get Falcon's 400 error documents",
        async browser =>
        {
            RawHttpResponse malformed = (await browser.SendJsonAsync("POST", "/items", "{not json")).AssertStatus(400);
            Assert.Equal("Invalid JSON", malformed.Json().GetProperty("title").GetString());
            Assert.Equal("Invalid item", (await browser.SendJsonAsync("POST", "/items", "[]")).AssertStatus(400).Json().GetProperty("title").GetString());
        });
}
