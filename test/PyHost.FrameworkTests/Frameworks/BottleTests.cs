using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

public sealed class BottleTests(BottleServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<BottleServers>(servers, matrix, output)
{
    [Fact]
    public Task CreateReadAndDeleteWithJsonInAndOut() => CompareAsync(
        "JSON in and out: create (201, Location), read, delete (204), then 404",
        browser => TodoApiScenario.CreateReadDeleteAsync(browser, "Water the plants"));

    [Fact]
    public Task RouteParametersQueryStringsAndPatch() => CompareAsync(
        "route parameters (<name>, <id:int>), query strings, PATCH with JSON",
        async browser =>
        {
            Assert.Equal("Hi, Grace!", (await browser.GetAsync("/hello/Grace?greeting=Hi")).AssertStatus(200).Json().GetProperty("greeting").GetString());
            RawHttpResponse created = (await browser.SendJsonAsync("POST", "/items", """{"title": "Ship it"}""")).AssertStatus(201);
            string item = Browser.PathOf(created.Header("Location")!);
            Assert.True((await browser.SendJsonAsync("PATCH", item, """{"done": true}""")).AssertStatus(200).Json().GetProperty("done").GetBoolean());
            RawHttpResponse done = (await browser.GetAsync("/items?done=true")).AssertStatus(200);
            Assert.Contains(done.Json().GetProperty("items").EnumerateArray(), entry => entry.GetProperty("title").GetString() == "Ship it");
        });

    [Fact]
    public Task BadJsonAndUnknownRoutesGetJsonErrors() => CompareAsync(
        "errors: invalid JSON gets 400, a non-integer id and an unknown route get the app's JSON 404",
        async browser =>
        {
            (await browser.SendJsonAsync("POST", "/items", "{not json")).AssertStatus(400);
            (await browser.SendJsonAsync("POST", "/items", """{"title": ""}""")).AssertStatus(400);
            Assert.Equal("no route for /items/abc", (await browser.GetAsync("/items/abc")).AssertStatus(404).Json().GetProperty("error").GetString());
        });
}
