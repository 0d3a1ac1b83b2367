using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Logs;

/// <summary>The error log as JSON lines, and control characters escaped in it whatever their source.</summary>
public sealed class ErrorLogTests(ITestOutputHelper output)
{
    [Fact]
    public async Task JsonErrorLogWritesOneObjectPerMessage()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1", "--error-log-format", "json"]);
        (await site.GetAsync("/boom")).AssertStatus(500);
        await site.Process.WaitForOutputAsync(new Regex("ZeroDivisionError: the test app divides by zero"), TimeSpan.FromSeconds(5));

        List<JsonElement> lines = site.Process.StandardError.Split('\n').Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        JsonElement listening = lines.Single(l => l.GetProperty("message").GetString()!.StartsWith("Listening on "));
        Assert.Equal(("info", site.Process.Id, "pyhost"), (listening.GetProperty("level").GetString(), listening.GetProperty("pid").GetInt32(), listening.GetProperty("logger").GetString()));
        Assert.True(DateTimeOffset.TryParse(listening.GetProperty("time").GetString(), out _));
        JsonElement booted = lines.First(l => l.GetProperty("message").GetString()!.StartsWith("Booted worker"));
        Assert.Equal(("pyhost.arbiter", 200), (booted.GetProperty("logger").GetString(), booted.GetProperty("event_id").GetInt32()));
        Assert.Contains(lines, l => l.GetProperty("logger").GetString() == "pyhost.app" && l.GetProperty("message").GetString()!.EndsWith("ZeroDivisionError: the test app divides by zero"));
    }

    [Fact]
    public async Task ControlCharactersInTheErrorLogAreEscaped()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        (await site.GetAsync("/shout")).AssertStatus(200);

        await site.Process.WaitForOutputAsync(new Regex("colourful .*bell"), TimeSpan.FromSeconds(5));
        string line = site.Process.Output.Split('\n').First(l => l.Contains("colourful"));
        Assert.EndsWith(@"colourful \x1b[31mred\x1b[0m and a bell \x07", line);
        Assert.DoesNotContain('\u001b', site.Process.Output);
        Assert.DoesNotContain('\u0007', site.Process.Output);
    }
}
