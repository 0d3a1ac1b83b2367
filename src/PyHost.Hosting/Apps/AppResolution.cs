using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using PyHost.Hosting.Apps.Detection;

namespace PyHost.Hosting.Apps;

/// <summary>What an <c>[app.NAME]</c> loads: its spec, and environment variables detection says it needs.</summary>
public sealed record ResolvedApp(string Spec, IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// The app spec the workers load: the module given, the PasteDeploy file, or what the app directory shows (a Django
/// project, a wsgi.py/app.py/application.py), else the built-in demo. More than one candidate is an error: PyHost
/// lists them rather than guess.
/// </summary>
public static class AppResolution
{
    public const string DemoApp = "pyhost_worker.demo:app";

    /// <summary>The app to serve, or null after <paramref name="problem"/> says why none can be chosen.</summary>
    public static ResolvedApp? Resolve(AppConfig app, string appDirectory, ILogger log, out string? problem)
    {
        problem = null;
        if (app.Module is { } module)
        {
            return new ResolvedApp(module, new Dictionary<string, string>());
        }
        if (app.Paste is { } paste)
        {
            log.LogInformation("Loading the PasteDeploy app [app:{Section}] from {File}", paste.Section, paste.File);
            return new ResolvedApp(paste.WorkerSpec, new Dictionary<string, string>());
        }
        IReadOnlyList<AppCandidate> candidates = AppDetector.FindCandidates(appDirectory);
        switch (candidates.Count)
        {
            case 0:
                log.LogInformation("No APP given and no app found in {Directory}: serving the built-in demo ({Demo})", appDirectory, DemoApp);
                return new ResolvedApp(DemoApp, new Dictionary<string, string>());
            case 1:
                AppCandidate chosen = candidates[0];
                log.LogInformation("No APP given: found {Reason} in {Directory}; serving {App}", chosen.Reason, appDirectory, chosen.Spec);
                return new ResolvedApp(chosen.Spec, DefaultEnvironment(chosen, app, log));
            default:
                int width = candidates.Max(candidate => candidate.Spec.Length);
                problem = $"no APP given, and more than one app could be served from {appDirectory}:\n"
                          + string.Join("\n", candidates.Select(candidate => $"  {candidate.Spec.PadRight(width)}  ({candidate.Reason})"))
                          + $"\nName the one to serve, e.g. 'pyhost serve {candidates[0].Spec}'.";
                return null;
        }
    }

    /// <summary>
    /// Variables the detected app needs (DJANGO_SETTINGS_MODULE), set as manage.py sets them: only when neither the
    /// app's env nor PyHost's own environment already has them. Given to that app's workers only.
    /// </summary>
    private static Dictionary<string, string> DefaultEnvironment(AppCandidate chosen, AppConfig app, ILogger log)
    {
        var environment = new Dictionary<string, string>();
        foreach (var (name, value) in chosen.Environment)
        {
            bool configured = app.Env.TryGetValue(name, out string? kept);
            kept ??= System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } inherited ? inherited : null;
            if (kept is not null)
            {
                log.LogInformation("Keeping {Name}={Value} from the {Source}", name, kept, configured ? "configuration" : "environment");
                continue;
            }
            environment[name] = value;
            log.LogInformation("Setting {Name}={Value} for the workers", name, value);
        }
        return environment;
    }
}
