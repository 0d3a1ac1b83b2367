namespace PyHost.FrameworkTests.Frameworks;

/// <summary>examples/flask, uploads in each server's state directory; pyhost also mounts the app's static folder.</summary>
public sealed class FlaskServers : ExampleServers
{
    public override FrameworkRow Row => FrameworkRows.Flask;

    protected override string Example => "flask";

    protected override IReadOnlyList<string> AppArguments => ["app:app"];

    // Flask's session cookie is signed with a timestamp, which differs from one second to the next; its payload may not.
    public override ResponseNormalizer Normalizer { get; } = new ResponseNormalizer().MaskCookieSignature("session", '.');

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory) =>
        new Dictionary<string, string> { ["GALLERY_UPLOADS"] = Path.Combine(stateDirectory, "uploads") };

    /// <summary>
    /// The static folder as a front-end mount: pyhost answers /static/ itself, gunicorn through Flask's own static
    /// route, and the two answers must still be the same.
    /// </summary>
    protected override IEnumerable<string> PyHostOnlyArguments(string stateDirectory) =>
        ["--static", $"/static={Path.Combine(Directory, "gallery", "static")}"];
}
