using Microsoft.Extensions.Logging;

namespace PyHost.Hosting;

// The operations messages of a server's life (start-up order, signals, systemd, privileges), as [LoggerMessage]s.
public static partial class Serving
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "{Signal} ignored: PyHost is still starting")]
    private static partial void LogSignalDuringStart(ILogger logger, string signal);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Serving {Url}, a socket inherited from {Source}")]
    private static partial void LogInheritedSocket(ILogger logger, string url, string source);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Listening sockets bound; now running as {Account}")]
    private static partial void LogPrivilegesDropped(ILogger logger, string account);

    [LoggerMessage(EventId = 603, Level = LogLevel.Warning, Message = "SIGQUIT: stopping at once, without waiting for requests")]
    private static partial void LogQuit(ILogger logger);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "{Signal} during start-up: stopping the workers")]
    private static partial void LogStopDuringStart(ILogger logger, string signal);

    [LoggerMessage(EventId = 605, Level = LogLevel.Critical, Message = "The app could not be started ({App}); the traceback is above. Exiting with status {Status}.")]
    private static partial void LogStartFailed(ILogger logger, string app, int status);

    [LoggerMessage(EventId = 606, Level = LogLevel.Critical, Message = "No worker can serve; stopping with status {Status}")]
    private static partial void LogNoWorkerCanServe(ILogger logger, int status);

    [LoggerMessage(EventId = 609, Level = LogLevel.Information, Message = "Removed {Directory}, left by a pyhost that is no longer running")]
    private static partial void LogStaleRuntimeDirectory(ILogger logger, string directory);

    [LoggerMessage(EventId = 610, Level = LogLevel.Error, Message = "SIGUSR1: {Problem}; still writing to the old file")]
    private static partial void LogReopenFailed(ILogger logger, string problem);

    [LoggerMessage(EventId = 611, Level = LogLevel.Information, Message = "SIGUSR1: log files reopened")]
    private static partial void LogReopened(ILogger logger);
}
