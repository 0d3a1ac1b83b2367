namespace PyHost.Gateways.Cgi;

public sealed record CgiRunnerOptions
{
    /// <summary>How long a script may run, from its start to the end of its output; then its process group is
    /// killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public CgiResponseLimits Limits { get; init; } = CgiResponseLimits.Default;

    /// <summary>The PATH a script gets when the meta-variables name none.</summary>
    public string DefaultPath { get; init; } = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>Longer stderr lines are cut in the log.</summary>
    public int MaxLoggedLineLength { get; init; } = 4096;
}
