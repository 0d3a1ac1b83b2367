using System.CommandLine;
using Microsoft.Extensions.Logging;
using PyHost.Cli.AppDetection;
using PyHost.Http;
using PyHost.Http.StaticFiles;

namespace PyHost.Cli;

/// <summary>What `pyhost serve` adds for real frameworks: finding the app, PasteDeploy files, static mounts.</summary>
public static partial class ServeCommand
{
    private static readonly Option<string?> Paste = new("--paste")
    {
        Description = "Load the app from a PasteDeploy ini file, as gunicorn --paste and pserve do: FILE or FILE#SECTION.",
    };
    private static readonly Option<string[]> Static = new("--static")
    {
        Description = "Serve the files of DIR at URL_PREFIX from the front, without a worker: URL_PREFIX=DIR. Repeatable.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static void AddFrameworkOptions(Command command)
    {
        command.Options.Add(Paste);
        command.Options.Add(Static);
        AddStaticOptions(command);
        AddCgiOptions(command);
        AddMongrel2Options(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Paste) is { } paste)
            {
                if (result.GetValue(App) is { } app)
                {
                    result.AddError($"give either APP ('{app}') or --paste, not both");
                }
                if (!PasteDeployApp.TryCreate(paste, out _, out string? error))
                {
                    result.AddError($"--paste {error}");
                }
            }
            foreach (string mount in result.GetValue(Static) ?? [])
            {
                if (!StaticMount.TryParse(mount, out _, out string? error))
                {
                    result.AddError($"--static {error}");
                }
            }
        });
    }

    /// <summary>
    /// The app spec the workers load: APP as given, the --paste file, or what the app directory shows (a Django
    /// project, a wsgi.py/app.py/application.py), else the demo. Null after printing why none could be chosen
    /// (exit status 2).
    /// </summary>
    private static string? ResolveApp(ParseResult parsed, string appDirectory, ILogger log)
    {
        if (parsed.GetValue(App) is { } app)
        {
            return app;
        }
        if (parsed.GetValue(Paste) is { } paste && PasteDeployApp.TryCreate(paste, out PasteDeployApp? pasteApp, out _))
        {
            log.LogInformation("Loading the PasteDeploy app [app:{Section}] from {File}", pasteApp.Section, pasteApp.ConfigFile);
            return pasteApp.Spec;
        }

        IReadOnlyList<AppCandidate> candidates = AppDetector.FindCandidates(appDirectory);
        switch (candidates.Count)
        {
            case 0:
                log.LogInformation("No APP given and no app found in {Directory}: serving the built-in demo ({Demo})", appDirectory, DemoApp);
                return DemoApp;
            case 1:
                AppCandidate chosen = candidates[0];
                log.LogInformation("No APP given: found {Reason} in {Directory}; serving {App}", chosen.Reason, appDirectory, chosen.Spec);
                foreach (var (name, value) in chosen.Environment)
                {
                    ApplyDefaultEnvironment(parsed, log, name, value);
                }
                return chosen.Spec;
            default:
                Console.Error.WriteLine($"pyhost: error: no APP given, and more than one app could be served from {appDirectory}:");
                int width = candidates.Max(candidate => candidate.Spec.Length);
                foreach (AppCandidate candidate in candidates)
                {
                    Console.Error.WriteLine($"  {candidate.Spec.PadRight(width)}  ({candidate.Reason})");
                }
                Console.Error.WriteLine($"Name the one to serve, e.g. 'pyhost serve {candidates[0].Spec}'.");
                return null;
        }
    }

    /// <summary>
    /// A variable the detected app needs (DJANGO_SETTINGS_MODULE), set as manage.py sets it: only when neither the
    /// environment nor -e already has it. The workers inherit PyHost's environment, so setting it here reaches them.
    /// </summary>
    private static void ApplyDefaultEnvironment(ParseResult parsed, ILogger log, string name, string value)
    {
        string? fromCommandLine = (parsed.GetValue(Env) ?? []).LastOrDefault(pair => pair.StartsWith(name + "=", StringComparison.Ordinal));
        string? inherited = Environment.GetEnvironmentVariable(name);
        if (fromCommandLine is not null || !string.IsNullOrEmpty(inherited))
        {
            log.LogInformation("Keeping {Setting} from the {Source}", fromCommandLine ?? $"{name}={inherited}", fromCommandLine is null ? "environment" : "command line");
            return;
        }
        Environment.SetEnvironmentVariable(name, value);
        log.LogInformation("Setting {Name}={Value} for the workers", name, value);
    }

    private static HttpFrontOptions WithFrameworkOptions(ParseResult parsed, HttpFrontOptions options) => WithMongrel2Options(parsed, WithCgiOptions(parsed, WithStaticOptions(parsed, options with
    {
        StaticMounts = (parsed.GetValue(Static) ?? [])
            .Select(text => StaticMount.TryParse(text, out StaticMount? mount, out _) ? mount : throw new InvalidOperationException(text))
            .ToList(),
    })));
}
