namespace PyHost.FrameworkTests.Frameworks;

/// <summary>examples/fastapi as `uvicorn main:app` runs it, its SQLite inventory in each server's state directory.</summary>
public sealed class FastApiServers : AsgiExampleServers
{
    public override FrameworkRow Row => FrameworkRows.FastApi;

    protected override string Example => "fastapi";

    protected override IReadOnlyList<string> AppArguments => ["main:app"];

    public override ResponseNormalizer Normalizer { get; } = new();

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) =>
        new Dictionary<string, string> { ["INVENTORY_DATABASE"] = Path.Combine(stateDirectory, "inventory.sqlite3") };
}

/// <summary>examples/starlette; pyhost also serves its static folder from the front.</summary>
public sealed class StarletteServers : AsgiExampleServers
{
    public override FrameworkRow Row => FrameworkRows.Starlette;

    protected override string Example => "starlette";

    protected override IReadOnlyList<string> AppArguments => ["app:app"];

    public override ResponseNormalizer Normalizer { get; } = new();

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) =>
        new Dictionary<string, string> { ["GUESTBOOK_DATABASE"] = Path.Combine(stateDirectory, "guestbook.sqlite3") };
}

/// <summary>examples/quart: its session cookie is signed with a timestamp, masked as Flask's is.</summary>
public sealed class QuartServers : AsgiExampleServers
{
    public override FrameworkRow Row => FrameworkRows.Quart;

    protected override string Example => "quart";

    protected override IReadOnlyList<string> AppArguments => ["app:app"];

    public override ResponseNormalizer Normalizer { get; } = new ResponseNormalizer().MaskCookieSignature("session", '.');

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) =>
        new Dictionary<string, string> { ["TASKS_DATABASE"] = Path.Combine(stateDirectory, "tasks.sqlite3") };
}
