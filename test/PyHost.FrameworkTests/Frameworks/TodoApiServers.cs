namespace PyHost.FrameworkTests.Frameworks;

/// <summary>A JSON to-do API (examples/bottle, examples/falcon), its SQLite file in each server's state directory.</summary>
public abstract class TodoApiServers : ExampleServers
{
    protected override IReadOnlyList<string> AppArguments => ["app:app"];

    public override ResponseNormalizer Normalizer { get; } = new();

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) =>
        new Dictionary<string, string> { ["TODO_DATABASE"] = Path.Combine(stateDirectory, "todo.sqlite3") };
}

public sealed class BottleServers : TodoApiServers
{
    public override FrameworkRow Row => FrameworkRows.Bottle;

    protected override string Example => "bottle";
}

public sealed class FalconServers : TodoApiServers
{
    public override FrameworkRow Row => FrameworkRows.Falcon;

    protected override string Example => "falcon";
}

/// <summary>What both to-do APIs do alike: create with JSON in, read, delete, and a 404 after.</summary>
public static class TodoApiScenario
{
    public static async Task CreateReadDeleteAsync(Browser browser, string title)
    {
        RawHttpResponse created = (await browser.SendJsonAsync("POST", "/items", $$"""{"title": "{{title}}"}""")).AssertStatus(201);
        string location = created.Header("Location") ?? throw new InvalidOperationException($"201 without Location:\n{created}");
        Assert.Equal(title, created.Json().GetProperty("title").GetString());
        Assert.Equal("application/json", created.Header("Content-Type"));

        RawHttpResponse read = (await browser.GetAsync(Browser.PathOf(location))).AssertStatus(200);
        Assert.Equal(created.Json().GetProperty("id").GetInt32(), read.Json().GetProperty("id").GetInt32());
        Assert.False(read.Json().GetProperty("done").GetBoolean());

        (await browser.SendAsync("DELETE", Browser.PathOf(location), [], [])).AssertStatus(204);
        (await browser.GetAsync(Browser.PathOf(location))).AssertStatus(404);
    }
}
