using PyHost.Configuration.CommandLine;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Gunicorn;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;
using PyHost.Configuration.Validation;

namespace PyHost.Configuration;

/// <summary>What to load: <c>pyhost serve</c>'s arguments, the environment, and optionally a config file named apart.</summary>
public sealed record ConfigRequest
{
    /// <summary>The arguments after <c>pyhost serve</c>: flags and APP.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    public required ConfigEnvironment Environment { get; init; }

    /// <summary>A config file given apart from the arguments (<c>pyhost check FILE</c>); wins over -c.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>
    /// The interpreter that runs gunicorn .py files, given --python's value (null when not given). The server passes
    /// its interpreter search ($VIRTUAL_ENV, ./.venv, python3); the default takes --python or "python3".
    /// </summary>
    public Func<string?, string> LocatePython { get; init; } = given => given ?? "python3";
}

/// <summary>The effective configuration, or the errors that prevent it; warnings either way.</summary>
public sealed record ConfigLoadResult(PyHostConfig? Config, IReadOnlyList<ConfigDiagnostic> Diagnostics, ParsedArguments Arguments, string? ConfigFile)
{
    public bool Succeeded => Config is not null;

    public IEnumerable<ConfigDiagnostic> Errors => Diagnostics.Where(diagnostic => diagnostic.IsError);

    public IEnumerable<ConfigDiagnostic> Warnings => Diagnostics.Where(diagnostic => !diagnostic.IsError);
}

/// <summary>
/// Builds the effective configuration from every source, with gunicorn's precedence: command-line flags over
/// <c>GUNICORN_CMD_ARGS</c>/<c>PYHOST_CMD_ARGS</c> (read as extra arguments placed before the real ones) over the
/// config file over defaults, where <c>$PORT</c> and <c>$WEB_CONCURRENCY</c> count as defaults, as gunicorn reads
/// them. Every value knows its origin. All problems of all sources are reported together.
/// </summary>
public static class ConfigLoader
{
    public static readonly IReadOnlyList<string> ArgumentVariables = ["GUNICORN_CMD_ARGS", "PYHOST_CMD_ARGS"];

    public static ConfigLoadResult Load(ConfigRequest request)
    {
        var diagnostics = new DiagnosticBag();
        ConfigEnvironment environment = request.Environment;

        var environmentSettings = new List<GivenSetting>();
        foreach (string variable in ArgumentVariables)
        {
            if (environment.Variable(variable) is not { Length: > 0 } text)
            {
                continue;
            }
            if (!ShellWords.TrySplit(text, out List<string> words, out string? error))
            {
                diagnostics.Error(new EnvironmentOrigin(variable), "", $"cannot split ${variable} into arguments: {error}", "quote values as a shell does");
                continue;
            }
            environmentSettings.AddRange(ArgumentParser.Parse(words, flag => new EnvironmentOrigin(variable, flag), diagnostics).Settings);
        }
        ParsedArguments flags = ArgumentParser.Parse(request.Arguments, flag => new FlagOrigin(flag), diagnostics);
        var environmentArguments = new ParsedArguments(environmentSettings);

        string? configFile = request.ConfigFile ?? flags.Value("config") ?? environmentArguments.Value("config")
                             ?? Discover(environment.WorkingDirectory, appGiven: flags.Has("app") || flags.Has("paste") || environmentArguments.Has("app"));

        PyHostConfig start = new();
        IReadOnlyList<GivenSetting> fileSettings = [];
        if (configFile is not null)
        {
            string fullPath = Path.GetFullPath(configFile, environment.WorkingDirectory);
            if (GunicornConfigFile.IsGunicornFile(configFile) || !configFile.EndsWith(".toml", StringComparison.OrdinalIgnoreCase))
            {
                string python = request.LocatePython(flags.Value("python") ?? environmentArguments.Value("python"));
                fileSettings = GunicornConfigFile.Read(configFile, python, environment.WorkingDirectory, diagnostics) ?? [];
                start = start with { SourceFile = configFile };
            }
            else if (!File.Exists(fullPath))
            {
                diagnostics.Error(new FileOrigin(configFile, 0, 0), "", "no such config file", "check the path given to -c/--config");
            }
            else if (TomlConfigReader.ReadFile(fullPath, diagnostics, configFile) is { } fromToml)
            {
                start = fromToml;
            }
        }

        var editor = new ConfigEditor(start, diagnostics, environment.WorkingDirectory);
        foreach (GivenSetting given in fileSettings.Concat(environmentSettings).Concat(flags.Settings))
        {
            given.Setting.Apply?.Invoke(editor, given.Value, given.Origin);
        }
        PyHostConfig config = editor.Finish();
        config = ConfigCompletion.Complete(config, environment, diagnostics);
        ConfigValidator.Validate(config, diagnostics);
        return new ConfigLoadResult(diagnostics.HasErrors ? null : config, diagnostics.Items, flags, configFile);
    }

    /// <summary>
    /// The config file used when none is named. Without APP (or --paste): ./pyhost.toml, else a ./pyproject.toml with
    /// [tool.pyhost], else ./gunicorn.conf.py. With APP, only ./gunicorn.conf.py, as gunicorn reads it by default.
    /// </summary>
    public static string? Discover(string directory, bool appGiven)
    {
        if (!appGiven)
        {
            if (File.Exists(Path.Combine(directory, "pyhost.toml")))
            {
                return "pyhost.toml";
            }
            if (File.Exists(Path.Combine(directory, "pyproject.toml")) && TomlConfigReader.HasToolTable(Path.Combine(directory, "pyproject.toml")))
            {
                return "pyproject.toml";
            }
        }
        return File.Exists(Path.Combine(directory, GunicornConfigFile.DefaultFileName)) ? GunicornConfigFile.DefaultFileName : null;
    }
}
