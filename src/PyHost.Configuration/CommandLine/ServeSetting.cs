using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.CommandLine;

public enum SettingArity
{
    /// <summary>A flag alone: <c>--preload</c>.</summary>
    Switch,

    /// <summary>A flag with a value; given twice, the last wins.</summary>
    Value,

    /// <summary>A flag with a value, repeatable: <c>-b A -b B</c>.</summary>
    Repeatable,

    /// <summary>A flag with an optional value from a fixed set: <c>--proxy-protocol [v1|v2|auto]</c>.</summary>
    OptionalValue,
}

/// <summary>Applies one setting's value to the model being built.</summary>
public delegate void ApplySetting(ConfigEditor editor, TomlNode value, SettingOrigin origin);

/// <summary>
/// Where a setting lands in the model, as the docs say it ("app.NAME.workers", "listen[*].backlog" for every
/// listener), and how it gets there.
/// </summary>
public sealed record SettingEffect(string Sets, ApplySetting Apply);

/// <summary>
/// One setting of <c>pyhost serve</c>: its flags, its name in a gunicorn .py file, and what it sets in the model.
/// <see cref="Effect"/> is null for settings that steer the command rather than the server (<c>-c</c>,
/// <c>--check-config</c>). Flags, <c>GUNICORN_CMD_ARGS</c> and gunicorn files all go through this one table.
/// </summary>
public sealed record ServeSetting(
    string Name,
    IReadOnlyList<string> Flags,
    SettingArity Arity,
    string Description,
    string? GunicornName,
    SettingEffect? Effect,
    IReadOnlyList<string>? OptionalValues = null,
    string? OptionalDefault = null)
{
    public ApplySetting? Apply => Effect?.Apply;

    /// <summary>What it sets in the model, for the docs; null for command-only settings.</summary>
    public string? Sets => Effect?.Sets;

    /// <summary>The flag to name in messages: the long one.</summary>
    public string DisplayFlag => Flags.Count == 0 ? Name.ToUpperInvariant() : Flags[^1];

    public bool TakesValue => Arity is SettingArity.Value or SettingArity.Repeatable;
}
