using Xunit.Abstractions;

namespace PyHost.AdminTests.Api;

/// <summary>GET /config answers what the server runs with; PUT and PATCH answer 501 until serve runs from the
/// configuration model with live reload, and say so with the key path.</summary>
public sealed class ConfigurationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GetConfigAnswersTheEffectiveSettings()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2", "--threads", "2"]);

        ApiAnswer answer = await site.Api.GetJsonAsync("/config");

        var app = answer.Json.GetProperty("app").GetProperty("main");
        Assert.Equal(("observed:app", 2, 2), (app.GetProperty("module").GetString(), app.GetProperty("workers").GetInt32(), app.GetProperty("threads").GetInt32()));
        Assert.Equal(site.Directory, app.GetProperty("chdir").GetString());
        Assert.Contains(site.Url, answer.Json.GetProperty("listen").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public async Task ChangingTheConfigurationIsNotImplementedYetAndSaysWhy()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        ApiAnswer put = await site.Api.SendAsync(HttpMethod.Put, "/config", "{}");
        ApiAnswer patch = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/workers", "3");
        ApiAnswer delete = await site.Api.SendAsync(HttpMethod.Delete, "/config", null);

        Assert.Equal(501, put.Status);
        Assert.Contains("live reload", put.FirstError.Message);
        Assert.Equal((501, "app.main.workers"), (patch.Status, patch.FirstError.Path));
        Assert.Equal(405, delete.Status);
        Assert.Single(await site.WorkersAsync());
    }
}
