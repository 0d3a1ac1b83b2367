using Microsoft.Extensions.Logging;

namespace PyHost.Gateways.Cgi;

public sealed partial class CgiRunner
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Script}: {Line}")]
    private static partial void LogStderr(ILogger logger, string script, string line);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "CGI script {Script} ran past {Seconds} s; its process group was killed")]
    private static partial void LogTimedOut(ILogger logger, string script, double seconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "CGI script {Script}: {Error}")]
    private static partial void LogFailed(ILogger logger, string script, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "CGI script {Script} exited with status {ExitCode}")]
    private static partial void LogExitStatus(ILogger logger, string script, int exitCode);
}
