using System.Text;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;
using PyHost.Configuration.Validation;

namespace PyHost.Configuration;

/// <summary>What a command prints and its exit status, so the commands are pure functions a test can call.</summary>
public sealed record CommandOutput(int ExitStatus, string StandardOutput, string StandardError);

/// <summary>
/// <c>pyhost check [FILE]</c> and <c>pyhost config --print</c> (also <c>serve --check-config</c>/<c>--print-config</c>)
/// as functions of their input: the file, the serve arguments and the environment. Exit status 0 when the
/// configuration is valid, 1 when it has errors (gunicorn's --check-config does the same).
/// </summary>
public static class ConfigCommands
{
    public const int Valid = 0;
    public const int Invalid = 1;

    /// <summary>Loads and checks everything, the disk included; prints every problem, then a one-line verdict.</summary>
    public static CommandOutput Check(ConfigRequest request)
    {
        ConfigLoadResult result = ConfigLoader.Load(request);
        var diagnostics = new DiagnosticBag();
        diagnostics.AddRange(result.Diagnostics);
        if (result.Config is { } loaded)
        {
            FileSystemCheck.Check(loaded, diagnostics);
        }
        string source = result.ConfigFile ?? "the command line";
        int errors = diagnostics.Items.Count(item => item.IsError);
        int warnings = diagnostics.Items.Count - errors;
        string verdict = errors > 0
            ? $"{source}: {Count(errors, "error")}{(warnings > 0 ? ", " + Count(warnings, "warning") : "")}"
            : $"{source}: OK{(warnings > 0 ? " (" + Count(warnings, "warning") + ")" : "")}: {Summary(result.Config!)}";
        return new CommandOutput(errors > 0 ? Invalid : Valid, verdict + "\n", Render(diagnostics.Items));
    }

    /// <summary>The effective configuration as TOML with each value's origin; problems on stderr.</summary>
    public static CommandOutput Print(ConfigRequest request)
    {
        ConfigLoadResult result = ConfigLoader.Load(request);
        return result.Config is { } config
            ? new CommandOutput(Valid, ConfigPrinter.Print(config), Render(result.Diagnostics))
            : new CommandOutput(Invalid, "", Render(result.Diagnostics));
    }

    /// <summary>"2 apps (blog, shop), 3 sites, 2 listeners (0.0.0.0:80, 0.0.0.0:443)".</summary>
    public static string Summary(PyHostConfig config) =>
        $"{Count(config.Apps.Count, "app")} ({string.Join(", ", config.Apps.Select(app => app.Name))}), " +
        $"{Count(config.Sites.Count, "site")}, " +
        $"{Count(config.Listeners.Count, "listener")} ({string.Join(", ", config.Listeners.Select(listener => listener.Address.Text))})";

    public static string Render(IEnumerable<ConfigDiagnostic> diagnostics)
    {
        var text = new StringBuilder();
        foreach (ConfigDiagnostic diagnostic in diagnostics)
        {
            text.Append(diagnostic).Append('\n');
        }
        return text.ToString();
    }

    private static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
}
