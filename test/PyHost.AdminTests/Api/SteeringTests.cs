using System.Text.Json;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Api;

/// <summary>POST /apps/NAME/reload and /scale, and what a bad request to them gets: 400 with the JSON path of the
/// problem, 404 for an app that does not exist, 405 for the wrong method.</summary>
public sealed class SteeringTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ReloadAnswersOnceTheNewWorkersAreReadyAndTheyServe()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2"]);
        IReadOnlyList<int> before = Posix.Descendants(site.Process.Id);

        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Post, "/apps/main/reload", """{"reason": "the test"}""");

        Assert.True(answer.Status == 200, answer.ToString());
        Assert.True(answer.Json.GetProperty("ok").GetBoolean());
        Assert.StartsWith("ok: 2 workers of generation 1 ready", answer.Json.GetProperty("message").GetString());
        Assert.Contains("Reloading (the test)", site.Process.Output);
        IReadOnlyList<JsonElement> workers = await site.WorkersAsync();
        Assert.All(workers.Where(w => w.GetProperty("state").GetString() != "retiring"), w => Assert.Equal(1, w.GetProperty("generation").GetInt32()));
        int servedBy = (await site.GetAsync("/")).AssertStatus(200).Json().GetProperty("pid").GetInt32();
        Assert.DoesNotContain(servedBy, before);
    }

    [Fact]
    public async Task ScaleSetsTheNumberOfWorkers()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Post, "/apps/main/scale", """{"workers": 3}""");

        Assert.True(answer.Status == 200, answer.ToString());
        Assert.Equal(3, answer.Json.GetProperty("workers").GetInt32());
        Assert.True(await Until.HoldsAsync(async () => (await site.WorkersAsync()).Count(w => w.GetProperty("state").GetString() == "idle") == 3,
            TimeSpan.FromSeconds(15)), site.Process.Describe());
        ApiAnswer down = await site.Api.SendAsync(HttpMethod.Post, "/apps/main/scale", """{"delta": -1}""");
        Assert.Equal(2, down.Json.GetProperty("workers").GetInt32());
    }

    public static TheoryData<string, string, string> BadScaleBodies => new()
    {
        { "", "$", "the body is empty" },
        { "{\"workers\": ", "$.workers", "invalid JSON" },
        { "[1, 2]", "$", "expected a JSON object" },
        { "{\"workers\": \"three\"}", "$.workers", "wrong type of value" },
        { "{\"workers\": 2.5}", "$.workers", "wrong type of value" },
        { "{\"worker\": 2}", "$.worker", "unknown key" },
        { "{\"workers\": 0}", "$.workers", "from 1 to 1024" },
        { "{\"workers\": 2, \"delta\": 1}", "$", "not both" },
        { "{}", "$", "give \"workers\"" },
    };

    [Theory]
    [MemberData(nameof(BadScaleBodies))]
    public async Task ABadScaleRequestGets400WithThePathOfTheProblem(string body, string path, string message)
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Post, "/apps/main/scale", body);

        Assert.True(answer.Status == 400, answer.ToString());
        Assert.Equal(path, answer.FirstError.Path);
        Assert.Contains(message, answer.FirstError.Message);
        Assert.Single(await site.WorkersAsync());   // nothing changed
    }

    [Fact]
    public async Task UnknownAppsPathsAndMethodsGetTheirStatus()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        ApiAnswer noApp = await site.Api.SendAsync(HttpMethod.Post, "/apps/shop/reload", null);
        ApiAnswer noPath = await site.Api.GetAsync("/nothing/here");
        ApiAnswer wrongMethod = await site.Api.GetAsync("/apps/main/reload");
        ApiAnswer badReload = await site.Api.SendAsync(HttpMethod.Post, "/apps/main/reload", """{"reason": 5}""");

        Assert.Equal((404, "no app named 'shop'"), (noApp.Status, noApp.FirstError.Message[..19]));
        Assert.Equal(404, noPath.Status);
        Assert.Equal(405, wrongMethod.Status);
        Assert.Equal("POST", string.Join(",", wrongMethod.ContentHeaders.Allow));
        Assert.Equal((400, "$.reason"), (badReload.Status, badReload.FirstError.Path));
    }
}
