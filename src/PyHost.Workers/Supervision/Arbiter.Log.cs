using Microsoft.Extensions.Logging;

namespace PyHost.Workers.Supervision;

public sealed partial class Arbiter
{
    /// <summary>"app blog: ", the start of a line about this app as a whole, when a configuration file names its apps
    /// (its workers' names say it too); "" for the one app of a command line, whose lines stay gunicorn's.</summary>
    private string ForApp => _options.AppName is { } name ? $"app {name}: " : "";

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Booted {Worker} in {Milliseconds} ms (Python {PythonVersion}, {Interface})")]
    private partial void LogBooted(string worker, long milliseconds, string pythonVersion, string @interface);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "{Worker} could not load the app; its traceback follows")]
    private partial void LogBootFailed(string worker);

    [LoggerMessage(EventId = 216, Level = LogLevel.Error, Message = "{Worker} could not load the app either (the same traceback as above)")]
    private partial void LogBootFailedAgain(string worker);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "{Worker} exited with status {ExitCode}")]
    private partial void LogExited(string worker, int exitCode);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "{Worker} was killed by signal {Signal}")]
    private partial void LogExitedBySignal(string worker, int signal);

    [LoggerMessage(EventId = 217, Level = LogLevel.Error, Message = "{Worker} died: it exited with status {ExitCode} while serving; a fresh worker replaces it")]
    private partial void LogDied(string worker, int exitCode);

    [LoggerMessage(EventId = 218, Level = LogLevel.Error, Message = "{Worker} died: it was killed by signal {Signal} ({SignalName}) while serving; a fresh worker replaces it")]
    private partial void LogDiedBySignal(string worker, int signal, string signalName);

    [LoggerMessage(EventId = 219, Level = LogLevel.Error, Message = "{ForApp}A worker failed to boot {Failures} times in a row: giving up its slot, {Workers} workers remain. The last failure: {Failure}")]
    private partial void LogSlotGivenUp(string forApp, int failures, int workers, string failure);

    [LoggerMessage(EventId = 220, Level = LogLevel.Critical, Message = "{ForApp}No worker is serving and none can boot: stopping")]
    private partial void LogNoWorkerLeft(string forApp);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "{Worker} timed out after {Seconds:0.0} s handling {Request}; answered 504; its stack follows, then it is replaced")]
    private partial void LogTimeout(string worker, double seconds, string request);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "{Worker} did not finish booting within {Seconds} s; killing it")]
    private partial void LogBootTimeout(string worker, double seconds);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "{ForApp}a fresh worker failed to boot ({Failures} in a row); the running workers keep serving; retrying in {Seconds} s")]
    private partial void LogRespawnBackOff(string forApp, double seconds, int failures);

    [LoggerMessage(EventId = 207, Level = LogLevel.Critical, Message = "{ForApp}cannot start the Python interpreter {Python}: {Reason}")]
    private partial void LogCannotStart(string forApp, string python, string reason);

    [LoggerMessage(EventId = 209, Level = LogLevel.Information, Message = "Retiring {Worker}: {Reason}; it finishes its requests first")]
    private partial void LogRetiring(string worker, string reason);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Recycling {Worker}: it {Reason}; a fresh worker takes over when ready")]
    private partial void LogRecycling(string worker, string reason);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "{ForApp}Scaled to {Workers} workers ({Reason})")]
    private partial void LogScaled(string forApp, int workers, string reason);

    [LoggerMessage(EventId = 212, Level = LogLevel.Information, Message = "{ForApp}Reloading ({Reason}): booting {Workers} workers of generation {Generation}; the running ones serve until all are ready")]
    private partial void LogReloadStarted(string forApp, string reason, int generation, int workers);

    [LoggerMessage(EventId = 213, Level = LogLevel.Information, Message = "{ForApp}Reloaded: {Workers} workers of generation {Generation} ready in {Milliseconds} ms; the old ones drain")]
    private partial void LogReloadDone(string forApp, int generation, int workers, long milliseconds);

    [LoggerMessage(EventId = 214, Level = LogLevel.Error, Message = "{ForApp}Reload abandoned, the running workers keep serving: {Reason}")]
    private partial void LogReloadFailed(string forApp, string reason);

    [LoggerMessage(EventId = 215, Level = LogLevel.Information, Message = "{Worker} left with its zygote")]
    private partial void LogExitedWithZygote(string worker);

    [LoggerMessage(EventId = 208, Level = LogLevel.Error, Message = "arbiter error")]
    private partial void LogArbiterError(Exception exception);

}
