using System.Text.Json;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

/// <summary>examples/quart through pyhost and through uvicorn, compared.</summary>
public sealed class QuartTests(QuartServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<QuartServers>(servers, matrix, output)
{
    [Fact]
    public Task TheSessionCookieCountsVisitsAndAFormAddsATask() => CompareAsync(
        "templates, a signed session cookie across workers, a form that redirects",
        async browser =>
        {
            for (int visit = 1; visit <= 3; visit++)
            {
                RawHttpResponse page = (await browser.GetAsync("/")).AssertStatus(200);
                Assert.Equal($"Visits in this session: {visit}", Html.ElementWithClass(page, "visits"));
            }
            (await browser.PostFormAsync("/tasks", [new("title", "")])).AssertStatus(400);
            RawHttpResponse added = (await browser.PostFormAsync("/tasks", [new("title", "water the plants")])).AssertStatus(302);
            Assert.Contains("<li>water the plants</li>", (await browser.FollowRedirectsAsync(added)).AssertStatus(200).BodyText);
        });

    [Fact]
    public Task JsonInAndOut() => CompareAsync(
        "a JSON API: 201 with the new task, 422 for a body without a title",
        async browser =>
        {
            RawHttpResponse created = (await browser.SendJsonAsync("POST", "/api/tasks", """{"title": "from JSON"}""")).AssertStatus(201);
            Assert.Equal("from JSON", created.Json().GetProperty("title").GetString());
            (await browser.SendJsonAsync("POST", "/api/tasks", """{"other": 1}""")).AssertStatus(422);
            JsonElement list = (await browser.GetAsync("/api/tasks")).AssertStatus(200).Json();
            Assert.Contains("from JSON", list.GetProperty("tasks").EnumerateArray().Select(task => task.GetString()));
        });

    [Fact]
    public Task AnAsyncGeneratorStreams() => CompareAsync(
        "a response from an async generator, read chunk by chunk",
        async browser =>
        {
            await StreamAssert.ArrivesOneByOneAsync(browser, "/countdown/3", ["3...\n", "2...\n", "1...\n", "liftoff\n"], pause: TimeSpan.FromSeconds(0.15));
        });

    [Fact]
    public Task TheWebSocketEchoes() => CompareWebSocketAsync(
        "a WebSocket route: text messages echoed, then a normal close",
        "/ws",
        """[["send", "one"], ["recv"], ["send", "two"], ["recv"], ["close", 1000]]""",
        result =>
        {
            JsonElement[] transcript = result.GetProperty("transcript").EnumerateArray().ToArray();
            Assert.Equal("echo: one", transcript[1].GetProperty("text").GetString());
            Assert.Equal("echo: two", transcript[2].GetProperty("text").GetString());
        });
}
