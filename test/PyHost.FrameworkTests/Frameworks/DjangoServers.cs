namespace PyHost.FrameworkTests.Frameworks;

/// <summary>
/// examples/django as a deployment runs it: the database migrated and an admin created with manage.py, the static
/// files collected with collectstatic and served by pyhost's --static mount, uploads in a media directory.
/// </summary>
public sealed class DjangoServers : ExampleServers
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "correct-horse-battery-staple";

    public override FrameworkRow Row => FrameworkRows.Django;

    protected override string Example => "django";

    protected override IReadOnlyList<string> AppArguments => ["mysite.wsgi:application"];

    public override ResponseNormalizer Normalizer { get; } = new ResponseNormalizer()
        .MaskCookie("csrftoken")
        .MaskCookie("sessionid")
        .MaskCookieSignature("messages", ':')
        .Mask(@"(name=""csrfmiddlewaretoken"" value="")[^""]+", "$1<csrf>");

    /// <summary>What collectstatic wrote: the files the --static mount serves.</summary>
    public string CollectedStatic => Path.Combine(StateRoot, "template", "static");

    private string TemplateDatabase => Path.Combine(StateRoot, "template", "db.sqlite3");

    protected override async Task PrepareAsync()
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(TemplateDatabase)!);
        var environment = new Dictionary<string, string>
        {
            ["NOTES_DATABASE"] = TemplateDatabase,
            ["DJANGO_STATIC_ROOT"] = CollectedStatic,
            ["DJANGO_SUPERUSER_PASSWORD"] = AdminPassword,
        };
        await PythonCommand.RunAsync(Directory, ["manage.py", "migrate", "--noinput", "-v", "0"], environment);
        await PythonCommand.RunAsync(Directory, ["manage.py", "createsuperuser", "--noinput", "--username", AdminUser, "--email", "admin@example.com"], environment);
        await PythonCommand.RunAsync(Directory, ["manage.py", "collectstatic", "--noinput", "-v", "0"], environment);
    }

    protected override void PrepareServerState(string stateDirectory)
    {
        File.Copy(TemplateDatabase, Path.Combine(stateDirectory, "db.sqlite3"));
        System.IO.Directory.CreateDirectory(Path.Combine(stateDirectory, "media"));
    }

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) => new Dictionary<string, string>
    {
        ["NOTES_DATABASE"] = Path.Combine(stateDirectory, "db.sqlite3"),
        ["DJANGO_MEDIA_ROOT"] = Path.Combine(stateDirectory, "media"),
        ["DJANGO_STATIC_ROOT"] = CollectedStatic,
    };

    protected override IEnumerable<string> PyHostOnlyArguments(string stateDirectory) => ["--static", $"/static/={CollectedStatic}"];
}
