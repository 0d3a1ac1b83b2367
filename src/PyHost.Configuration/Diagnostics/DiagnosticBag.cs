namespace PyHost.Configuration.Diagnostics;

/// <summary>The problems found so far, in the order found; errors and warnings together.</summary>
public sealed class DiagnosticBag
{
    private readonly List<ConfigDiagnostic> _items = [];

    public IReadOnlyList<ConfigDiagnostic> Items => _items;

    public bool HasErrors => _items.Any(item => item.IsError);

    public void Add(ConfigDiagnostic diagnostic) => _items.Add(diagnostic);

    public void AddRange(IEnumerable<ConfigDiagnostic> diagnostics) => _items.AddRange(diagnostics);

    public void Error(SettingOrigin? origin, string keyPath, string message, string? hint = null) =>
        _items.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, origin, keyPath, message, hint));

    public void Warning(SettingOrigin? origin, string keyPath, string message, string? hint = null) =>
        _items.Add(new ConfigDiagnostic(DiagnosticSeverity.Warning, origin, keyPath, message, hint));
}
