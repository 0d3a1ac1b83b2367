using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys;

/// <summary>
/// What reading a configuration collects besides the values: every problem, and the origin of every key read.
/// <see cref="Lenient"/> is set for values that arrive as text (flags, environment variables, gunicorn files),
/// where "4" is a fine number and "true" a fine boolean; in TOML the types must be right.
/// </summary>
public sealed class ReadContext(DiagnosticBag diagnostics, Dictionary<string, SettingOrigin> origins, string baseDirectory, bool lenient = false)
{
    /// <summary>What relative paths are relative to: the config file's directory, or the current one for flags.</summary>
    public string BaseDirectory { get; } = baseDirectory;

    public DiagnosticBag Diagnostics { get; } = diagnostics;

    public Dictionary<string, SettingOrigin> Origins { get; } = origins;

    public bool Lenient { get; } = lenient;

    public void Error(TomlNode node, string path, string message, string? hint = null) =>
        Diagnostics.Error(node.Origin, path, message, hint);

    /// <summary>
    /// "expected a whole number, got a string "four"" in TOML; "expected a whole number, not 'four'" for a flag's or
    /// variable's text, where every value is a string and saying so would not help.
    /// </summary>
    public void Expected(TomlNode node, string path, string expected, string? hint = null) =>
        Error(node, path, Lenient && node is TomlScalar { Value: string text } ? $"expected {expected}, not '{text}'" : $"expected {expected}, got {Describe(node)}", hint);

    public static string Describe(TomlNode node) => node is TomlScalar scalar ? $"{scalar.KindName} {scalar.Text}" : node.KindName;

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
