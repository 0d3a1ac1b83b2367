using System.Diagnostics;
using System.Text.Json;
using PyHost.Configuration.CommandLine;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Gunicorn;

/// <summary>
/// A gunicorn config file (<c>gunicorn.conf.py</c>, <c>-c FILE.py</c>). It is Python, so it is run — in the app's
/// interpreter, by a small stdlib-only script that executes it as gunicorn does — and its module-level names are
/// mapped onto PyHost's settings: a setting PyHost has is applied with the file's line as its origin, a gunicorn
/// setting PyHost lacks is a warning naming it (server hooks are functions PyHost does not run), and other names
/// (imports, helpers) are ignored as gunicorn ignores them, unless one looks like a misspelt setting.
/// </summary>
public static class GunicornConfigFile
{
    public const string DefaultFileName = "gunicorn.conf.py";

    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(30);

    public static bool IsGunicornFile(string path) => path.EndsWith(".py", StringComparison.OrdinalIgnoreCase);

    /// <summary>The settings the file gives, in the file's order; null when it could not be run (the error is added).</summary>
    public static IReadOnlyList<GivenSetting>? Read(string path, string python, string workingDirectory, DiagnosticBag diagnostics)
    {
        var fileOrigin = new FileOrigin(path, 0, 0);
        if (!File.Exists(Path.GetFullPath(path, workingDirectory)))
        {
            diagnostics.Error(fileOrigin, "", "no such config file", "check the path given to -c/--config");
            return null;
        }
        string? json = Run(path, python, workingDirectory, diagnostics);
        if (json is null)
        {
            return null;
        }
        GunicornConfigOutput? output;
        try
        {
            output = JsonSerializer.Deserialize(json, GunicornJsonContext.Default.GunicornConfigOutput);
        }
        catch (JsonException ex)
        {
            diagnostics.Error(fileOrigin, "", $"could not read the settings {python} printed: {ex.Message}");
            return null;
        }
        if (output is null)
        {
            diagnostics.Error(fileOrigin, "", $"{python} printed no settings");
            return null;
        }
        if (output.Error is { } error)
        {
            diagnostics.Error(new FileOrigin(path, error.Line, 0), "", $"the config file failed: {error.Type}: {error.Message}",
                "gunicorn config files are Python; fix the error shown:\n" + error.Traceback.TrimEnd());
            return null;
        }
        return Map(path, output, diagnostics);
    }

    /// <summary>Applies the file's names: settings PyHost has become <see cref="GivenSetting"/>s; the rest warn.</summary>
    public static IReadOnlyList<GivenSetting> Map(string path, GunicornConfigOutput output, DiagnosticBag diagnostics)
    {
        var given = new List<GivenSetting>();
        var knownNames = ServeSettings.All.Where(setting => setting.GunicornName is not null).Select(setting => setting.GunicornName!)
            .Concat(GunicornUnsupported.All.Select(setting => setting.Name)).ToList();
        foreach (var (name, value) in output.Settings.OrderBy(pair => pair.Value.Line))
        {
            var origin = new FileOrigin(path, value.Line, 0);
            if (ServeSettings.ByGunicornName(name) is { } setting)
            {
                if (value.Kind is "callable" or "other")
                {
                    diagnostics.Error(origin, name, $"{name} is {value.Value.GetString()}, which PyHost cannot use", "give a plain value: a string, number, boolean or list");
                    continue;
                }
                if (value.Kind == "none" || setting.Apply is null)
                {
                    continue;   // None is gunicorn's "not set"; config/print_config/check_config steer gunicorn's command
                }
                given.Add(new GivenSetting(setting, ToNode(value.Value, origin), origin));
            }
            else if (GunicornUnsupported.ByName(name) is { } unsupported)
            {
                diagnostics.Warning(origin, name, unsupported.Warning);
            }
            else if (value.Kind is not ("callable" or "other" or "dict") && name == name.ToLowerInvariant()
                     && Spelling.Suggest(name, knownNames) is { } suggestion && suggestion != name)
            {
                diagnostics.Warning(origin, name, $"'{name}' is not a gunicorn setting, so neither gunicorn nor PyHost reads it", $"did you mean '{suggestion}'?");
            }
        }
        return given;
    }

    private static string? Run(string path, string python, string workingDirectory, DiagnosticBag diagnostics)
    {
        var start = new ProcessStartInfo(python)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script.Value);
        start.ArgumentList.Add(path);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            diagnostics.Error(new FileOrigin(path, 0, 0), "", $"cannot run {python} to read this gunicorn config file: {ex.Message}",
                "gunicorn config files are Python: name the interpreter with --python");
            return null;
        }
        using (process)
        {
            Task<string> standardOutput = process.StandardOutput.ReadToEndAsync();
            Task<string> standardError = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(RunLimit))
            {
                process.Kill(entireProcessTree: true);
                diagnostics.Error(new FileOrigin(path, 0, 0), "", $"the config file ran for more than {RunLimit.TotalSeconds:0} s; stopped", "a config file should only set values");
                return null;
            }
            string output = standardOutput.GetAwaiter().GetResult();
            if (process.ExitCode != 0 || output.Length == 0)
            {
                diagnostics.Error(new FileOrigin(path, 0, 0), "", $"{python} could not read the config file (exit status {process.ExitCode})",
                    standardError.GetAwaiter().GetResult().Trim() is { Length: > 0 } text ? text : null);
                return null;
            }
            return output;
        }
    }

    private static TomlNode ToNode(JsonElement value, Diagnostics.SettingOrigin origin) => value.ValueKind switch
    {
        JsonValueKind.String => TomlValues.Text(value.GetString()!, origin),
        JsonValueKind.True => TomlValues.Boolean(true, origin),
        JsonValueKind.False => TomlValues.Boolean(false, origin),
        JsonValueKind.Number when value.TryGetInt64(out long whole) => TomlValues.Integer(whole, origin),
        JsonValueKind.Number => new TomlScalar(value.GetDouble(), "a float", value.GetRawText(), origin),
        JsonValueKind.Array => TomlValues.List(value.EnumerateArray().Select(item => ToNode(item, origin)), origin),
        JsonValueKind.Object => ToTable(value, origin),
        _ => TomlValues.Text(value.GetRawText(), origin),
    };

    private static TomlTable ToTable(JsonElement value, Diagnostics.SettingOrigin origin)
    {
        var table = new TomlTable(origin);
        foreach (JsonProperty property in value.EnumerateObject())
        {
            table.Set(property.Name, ToNode(property.Value, origin), origin);
        }
        return table;
    }

    private static readonly Lazy<string> Script = new(() =>
    {
        using Stream stream = typeof(GunicornConfigFile).Assembly.GetManifestResourceStream("pyhost_config/read_gunicorn_config.py")
            ?? throw new InvalidOperationException("the embedded read_gunicorn_config.py is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
