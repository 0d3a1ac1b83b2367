using Microsoft.Extensions.Logging;

namespace PyHost.Workers.Supervision;

public sealed partial class Arbiter
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Booted {Worker} in {Milliseconds} ms (Python {PythonVersion})")]
    private partial void LogBooted(string worker, long milliseconds, string pythonVersion);

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

    [LoggerMessage(EventId = 219, Level = LogLevel.Error, Message = "A worker failed to boot {Failures} times in a row: giving up its slot, {Workers} workers remain. The last failure: {Failure}")]
    private partial void LogSlotGivenUp(int failures, int workers, string failure);

    [LoggerMessage(EventId = 220, Level = LogLevel.Critical, Message = "No worker is serving and none can boot: stopping")]
    private partial void LogNoWorkerLeft();

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "{Worker} timed out after {Seconds:0.0} s handling {Request}; answered 504; its stack follows, then it is replaced")]
    private partial void LogTimeout(string worker, double seconds, string request);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "{Worker} did not finish booting within {Seconds} s; killing it")]
    private partial void LogBootTimeout(string worker, double seconds);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "a fresh worker failed to boot ({Failures} in a row); the running workers keep serving; retrying in {Seconds} s")]
    private partial void LogRespawnBackOff(double seconds, int failures);

    [LoggerMessage(EventId = 207, Level = LogLevel.Critical, Message = "cannot start the Python interpreter {Python}: {Reason}")]
    private partial void LogCannotStart(string python, string reason);

    [LoggerMessage(EventId = 209, Level = LogLevel.Information, Message = "Retiring {Worker}: {Reason}; it finishes its requests first")]
    private partial void LogRetiring(string worker, string reason);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Recycling {Worker}: it {Reason}; a fresh worker takes over when ready")]
    private partial void LogRecycling(string worker, string reason);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Scaled to {Workers} workers ({Reason})")]
    private partial void LogScaled(int workers, string reason);

    [LoggerMessage(EventId = 212, Level = LogLevel.Information, Message = "Reloading ({Reason}): booting {Workers} workers of generation {Generation}; the running ones serve until all are ready")]
    private partial void LogReloadStarted(string reason, int generation, int workers);

    [LoggerMessage(EventId = 213, Level = LogLevel.Information, Message = "Reloaded: {Workers} workers of generation {Generation} ready in {Milliseconds} ms; the old ones drain")]
    private partial void LogReloadDone(int generation, int workers, long milliseconds);

    [LoggerMessage(EventId = 214, Level = LogLevel.Error, Message = "Reload abandoned, the running workers keep serving: {Reason}")]
    private partial void LogReloadFailed(string reason);

    [LoggerMessage(EventId = 215, Level = LogLevel.Information, Message = "{Worker} left with its zygote")]
    private partial void LogExitedWithZygote(string worker);

    [LoggerMessage(EventId = 208, Level = LogLevel.Error, Message = "arbiter error")]
    private partial void LogArbiterError(Exception exception);

}
