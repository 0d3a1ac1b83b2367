namespace PyHost.Gateways.Cgi;

public sealed record CgiRunnerOptions
{
    /// <summary>How long a script may run, from its start to the end of its output; then its process group is
    /// killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public CgiResponseLimits Limits { get; init; } = CgiResponseLimits.Default;

    /// <summary>The PATH a script gets when the meta-variables name none.</summary>
    public string DefaultPath { get; init; } = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>Run scripts as this user (a name or a number), as the app's workers run with <c>-u</c>; only when
    /// PyHost runs as root. Null: as PyHost's own user.</summary>
    public string? User { get; init; }

    /// <summary>Run scripts with this group (<c>-g</c>); without it, the user's own group.</summary>
    public string? Group { get; init; }

    /// <summary>Longer stderr lines are cut in the log.</summary>
    public int MaxLoggedLineLength { get; init; } = 4096;
}
