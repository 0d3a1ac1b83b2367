namespace PyHost.Hosting.Apps.Detection;

/// <summary>An app PyHost could serve from a directory: its spec, why it was found, and the environment it needs.</summary>
public sealed record AppCandidate(string Spec, string Reason, IReadOnlyDictionary<string, string> Environment)
{
    public AppCandidate(string spec, string reason)
        : this(spec, reason, new Dictionary<string, string>())
    {
    }
}
