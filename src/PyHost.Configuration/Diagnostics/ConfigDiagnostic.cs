using System.Text;

namespace PyHost.Configuration.Diagnostics;

public enum DiagnosticSeverity
{
    Error,
    Warning,
}

/// <summary>
/// One problem found in the configuration: where (file:line:column, a flag, a variable), which key, what is wrong,
/// and a hint on how to fix it. Readers collect them all instead of stopping at the first.
/// </summary>
public sealed record ConfigDiagnostic(DiagnosticSeverity Severity, SettingOrigin? Origin, string KeyPath, string Message, string? Hint = null)
{
    public bool IsError => Severity == DiagnosticSeverity.Error;

    /// <summary>
    /// <c>pyhost.toml:4:11: error: app.blog.workers: expected a whole number, not "four"</c> and, when there is one,
    /// an indented <c>hint:</c> line — the shape compilers use, so editors can jump to the place.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Origin is not null and not DefaultOrigin)
        {
            text.Append(Origin.Describe()).Append(": ");
        }
        text.Append(Severity == DiagnosticSeverity.Error ? "error: " : "warning: ");
        if (KeyPath.Length > 0)
        {
            text.Append(KeyPath).Append(": ");
        }
        text.Append(Message);
        if (Hint is not null)
        {
            text.Append("\n  hint: ").Append(Hint);
        }
        return text.ToString();
    }
}
