namespace PyHost.FrameworkTests.Frameworks;

/// <summary>
/// examples/pyramid loaded from its PasteDeploy file by both servers, with `--paste development.ini`: the
/// [app:main] section, whose `use = egg:pyramid_example` goes through the project's entry point.
/// </summary>
public class PyramidServers : ExampleServers
{
    public override FrameworkRow Row => FrameworkRows.Pyramid;

    protected override string Example => "pyramid";

    protected override IReadOnlyList<string> AppArguments => ["--paste", "development.ini"];

    public override ResponseNormalizer Normalizer { get; } = new();
}

/// <summary>The same file's [app:direct] section, `use = call:pyramid_example:main`: `--paste development.ini#direct`.</summary>
public sealed class PyramidCallFormServers : PyramidServers
{
    protected override IReadOnlyList<string> AppArguments => ["--paste", "development.ini#direct"];
}
