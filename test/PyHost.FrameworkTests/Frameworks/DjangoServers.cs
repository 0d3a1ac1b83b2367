namespace PyHost.FrameworkTests.Frameworks;

/// <summary>
/// examples/django as a deployment runs it: the database migrated and an admin created with manage.py, the static
/// files collected with collectstatic and served by pyhost's --static mount, uploads in a media directory.
/// </summary>
public sealed class DjangoServers : ExampleServers, IDjangoServers
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "correct-horse-battery-staple";

    private readonly DjangoDeployment deployment;

    public DjangoServers() => deployment = new DjangoDeployment(StateRoot);

    public override FrameworkRow Row => FrameworkRows.Django;

    protected override string Example => "django";

    protected override IReadOnlyList<string> AppArguments => ["mysite.wsgi:application"];

    public override ResponseNormalizer Normalizer => DjangoDeployment.Normalizer;

    /// <summary>What collectstatic wrote: the files the --static mount serves.</summary>
    public string CollectedStatic => deployment.CollectedStatic;

    protected override Task PrepareAsync() => deployment.PrepareAsync(Directory);

    protected override void PrepareServerState(string stateDirectory) => deployment.PrepareServerState(stateDirectory);

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) => deployment.AppEnvironment(stateDirectory);

    protected override IEnumerable<string> PyHostOnlyArguments(string stateDirectory) => ["--static", $"/static/={CollectedStatic}"];
}

/// <summary>The same project through its asgi.py (Django's ASGIHandler), against uvicorn.</summary>
public sealed class DjangoAsgiServers : AsgiExampleServers, IDjangoServers
{
    private readonly DjangoDeployment deployment;

    public DjangoAsgiServers() => deployment = new DjangoDeployment(StateRoot);

    public override FrameworkRow Row => FrameworkRows.DjangoAsgi;

    protected override string Example => "django";

    protected override IReadOnlyList<string> AppArguments => ["mysite.asgi:application"];

    public override ResponseNormalizer Normalizer => DjangoDeployment.Normalizer;

    protected override Task PrepareAsync() => deployment.PrepareAsync(Directory);

    protected override void PrepareServerState(string stateDirectory) => deployment.PrepareServerState(stateDirectory);

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) => deployment.AppEnvironment(stateDirectory);

    public string CollectedStatic => deployment.CollectedStatic;

    protected override IEnumerable<string> PyHostOnlyArguments(string stateDirectory) => ["--static", $"/static/={CollectedStatic}"];
}

/// <summary>Servers of examples/django: where collectstatic put the files the front serves.</summary>
public interface IDjangoServers
{
    string CollectedStatic { get; }
}

/// <summary>What a Django deployment of examples/django needs, whichever server runs it: a migrated database with an
/// admin, collected static files, a media directory per server.</summary>
public sealed class DjangoDeployment(string stateRoot)
{
    public static ResponseNormalizer Normalizer { get; } = new ResponseNormalizer()
        .MaskCookie("csrftoken")
        .MaskCookie("sessionid")
        .MaskCookieSignature("messages", ':')
        .Mask(@"(name=""csrfmiddlewaretoken"" value="")[^""]+", "$1<csrf>");

    public string CollectedStatic => Path.Combine(stateRoot, "template", "static");

    private string TemplateDatabase => Path.Combine(stateRoot, "template", "db.sqlite3");

    public async Task PrepareAsync(string directory)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(TemplateDatabase)!);
        var environment = new Dictionary<string, string>
        {
            ["NOTES_DATABASE"] = TemplateDatabase,
            ["DJANGO_STATIC_ROOT"] = CollectedStatic,
            ["DJANGO_SUPERUSER_PASSWORD"] = DjangoServers.AdminPassword,
        };
        await PythonCommand.RunAsync(directory, ["manage.py", "migrate", "--noinput", "-v", "0"], environment);
        await PythonCommand.RunAsync(directory, ["manage.py", "createsuperuser", "--noinput", "--username", DjangoServers.AdminUser, "--email", "admin@example.com"], environment);
        await PythonCommand.RunAsync(directory, ["manage.py", "collectstatic", "--noinput", "-v", "0"], environment);
    }

    public void PrepareServerState(string stateDirectory)
    {
        File.Copy(TemplateDatabase, Path.Combine(stateDirectory, "db.sqlite3"));
        System.IO.Directory.CreateDirectory(Path.Combine(stateDirectory, "media"));
    }

    public IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) => new Dictionary<string, string>
    {
        ["NOTES_DATABASE"] = Path.Combine(stateDirectory, "db.sqlite3"),
        ["DJANGO_MEDIA_ROOT"] = Path.Combine(stateDirectory, "media"),
        ["DJANGO_STATIC_ROOT"] = CollectedStatic,
    };
}
