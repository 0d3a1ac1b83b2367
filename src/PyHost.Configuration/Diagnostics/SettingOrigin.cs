namespace PyHost.Configuration.Diagnostics;

/// <summary>
/// Where an effective setting came from: a built-in default, a line of a config file, a command-line flag, or the
/// environment. <c>pyhost config --print</c> writes it after each value, and errors name it.
/// </summary>
public abstract record SettingOrigin
{
    /// <summary>The comment <c>--print</c> writes: "default", "flag --workers", "pyhost.toml:3:11".</summary>
    public abstract string Describe();

    public sealed override string ToString() => Describe();
}

/// <summary>A built-in default, with what it was derived from when that is not a constant ("the CPU cores").</summary>
public sealed record DefaultOrigin(string? Because = null) : SettingOrigin
{
    public static DefaultOrigin Instance { get; } = new();

    public override string Describe() => Because is null ? "default" : $"default ({Because})";
}

/// <summary>A key of a config file: TOML, or a gunicorn .py file (its line; column 0 when unknown).</summary>
public sealed record FileOrigin(string File, int Line, int Column) : SettingOrigin
{
    public override string Describe() => Line <= 0 ? File : Column <= 0 ? $"{File}:{Line}" : $"{File}:{Line}:{Column}";
}

/// <summary>A flag on the command line.</summary>
public sealed record FlagOrigin(string Flag) : SettingOrigin
{
    public override string Describe() => Flag.StartsWith('-') ? $"flag {Flag}" : $"argument {Flag}";
}

/// <summary>
/// The environment: a variable read as a value (<c>$PORT</c>), or a flag inside <c>GUNICORN_CMD_ARGS</c> or
/// <c>PYHOST_CMD_ARGS</c>.
/// </summary>
public sealed record EnvironmentOrigin(string Variable, string? Flag = null) : SettingOrigin
{
    public override string Describe() => Flag is null ? $"env ${Variable}" : $"env {Variable} ({Flag})";
}
