using Microsoft.Extensions.Logging;
using PyHost.Configuration;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Hosting.Operations;
using PyHost.Workers.Control;

namespace PyHost.Hosting;

/// <summary>
/// What SIGHUP, SIGTTIN/SIGTTOU and the control socket do to the running server. A reload reads the configuration
/// again: a file with any error changes nothing (the error is logged with its line, and <c>pyhost reload</c> gets
/// it); a good one is applied as <see cref="ServerHost.ReloadAsync"/> says, and every app gets fresh code.
/// </summary>
public sealed partial class ServerControl(ServerHost server, Func<ConfigLoadResult> reread, SystemdNotifier notifier, ILogger log) : IControlTarget
{
    public string Summary() =>
        $"serving {server.TargetWorkers} workers on {string.Join(", ", server.ListenerUrls)}";

    /// <summary>SIGHUP, <c>pyhost reload</c>, <c>POST /reload</c>: the configuration read again from its sources.</summary>
    public async Task<string> ReloadAsync(string reason)
    {
        ConfigLoadResult loaded = reread();
        if (!loaded.Succeeded)
        {
            string errors = string.Join("\n", loaded.Errors.Select(error => error.ToString()));
            LogConfigBroken(reason, errors);
            return $"error: the configuration has errors; nothing changed, the running one keeps serving.\n{errors}";
        }
        foreach (ConfigDiagnostic warning in loaded.Warnings)
        {
            LogConfigWarning(warning.ToString());
        }
        return await ApplyAsync(loaded.Config!, reason);
    }

    /// <summary>
    /// Runs <paramref name="next"/>, a checked configuration, from now on: the one path by which a reload and the admin
    /// API's <c>PUT /config</c> and <c>PATCH /config/PATH</c> change the running server (systemd hears of it too).
    /// </summary>
    public async Task<string> ApplyAsync(PyHostConfig next, string reason)
    {
        notifier.Reloading($"reloading ({reason})");
        string outcome = await server.ReloadAsync(next, reason);
        notifier.Reloaded(outcome.StartsWith("ok", StringComparison.Ordinal) ? Summary() : $"reload failed, the old configuration serves; {Summary()}");
        return outcome;
    }

    public Task<string> ScaleAsync(string? app, int delta, int? absolute) => server.ScaleAsync(app, delta, absolute);

    public async Task ScaleForSignalAsync(int delta)
    {
        string outcome = await server.ScaleAsync(null, delta, null);
        if (!outcome.StartsWith("ok", StringComparison.Ordinal))
        {
            LogScaleRefused(outcome);
        }
        notifier.Status(Summary());
    }

    [LoggerMessage(EventId = 720, Level = LogLevel.Error, Message = "{Reason}: the configuration has errors; nothing changed, the running one keeps serving:\n{Errors}")]
    private partial void LogConfigBroken(string reason, string errors);

    [LoggerMessage(EventId = 721, Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogConfigWarning(string warning);

    [LoggerMessage(EventId = 722, Level = LogLevel.Warning, Message = "{Outcome}")]
    private partial void LogScaleRefused(string outcome);
}
