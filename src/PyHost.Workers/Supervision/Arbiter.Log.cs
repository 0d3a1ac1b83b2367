using Microsoft.Extensions.Logging;

namespace PyHost.Workers.Supervision;

public sealed partial class Arbiter
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Booted {Worker} in {Milliseconds} ms (Python {PythonVersion})")]
    private partial void LogBooted(string worker, long milliseconds, string pythonVersion);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "{Worker} could not load the app:\n{Traceback}")]
    private partial void LogBootFailed(string worker, string traceback);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "{Worker} exited with status {ExitCode}")]
    private partial void LogExited(string worker, int exitCode);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "{Worker} was killed by signal {Signal}")]
    private partial void LogExitedBySignal(string worker, int signal);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "{Worker} timed out after {Seconds:0.0} s handling {Request}; answered 504; its stack follows, then it is replaced")]
    private partial void LogTimeout(string worker, double seconds, string request);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "{Worker} did not finish booting within {Seconds} s; killing it")]
    private partial void LogBootTimeout(string worker, double seconds);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "worker {Slot} failed to boot; retrying in {Seconds} s")]
    private partial void LogRespawnBackOff(int slot, double seconds);

    [LoggerMessage(EventId = 207, Level = LogLevel.Critical, Message = "cannot start the Python interpreter {Python}: {Reason}")]
    private partial void LogCannotStart(string python, string reason);

    [LoggerMessage(EventId = 208, Level = LogLevel.Error, Message = "arbiter error")]
    private partial void LogArbiterError(Exception exception);

}

/// <summary>The app's own output (print, logging to stderr, tracebacks), one log line each, tagged with its worker.</summary>
internal sealed partial class WorkerOutputLog(ILogger logger)
{
    private readonly ILogger _logger = logger;

    public void Line(string worker, string line) => LogLine(worker, line);

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "[{Worker}] {Line}")]
    private partial void LogLine(string worker, string line);
}
