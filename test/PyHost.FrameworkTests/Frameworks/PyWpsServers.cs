namespace PyHost.FrameworkTests.Frameworks;

/// <summary>examples/pywps: a WPS 1.0.0 service with one process, its work files in each server's state directory.</summary>
public sealed class PyWpsServers : ExampleServers
{
    public override FrameworkRow Row => FrameworkRows.PyWps;

    protected override string Example => "pywps";

    protected override IReadOnlyList<string> AppArguments => ["wsgi:application"];

    // The time the process ran at is part of every Execute response.
    public override ResponseNormalizer Normalizer { get; } = new ResponseNormalizer().Mask(@"creationTime=""[^""]+""", @"creationTime=""<time>""");

    protected override IReadOnlyDictionary<string, string> AppEnvironment(string stateDirectory)
    {
        string config = Path.Combine(stateDirectory, "pywps-local.cfg");
        File.WriteAllText(config, $"[server]\nworkdir = {stateDirectory}\noutputpath = {stateDirectory}\n");
        return new Dictionary<string, string> { ["PYWPS_CFG"] = config };
    }
}
