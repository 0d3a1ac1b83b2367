using Microsoft.Extensions.Logging;

namespace PyHost.Workers.Channel;

public sealed partial class WorkerChannel
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "{Worker} broke the protocol during {Request}: {Reason}")]
    private partial void LogProtocolError(string worker, string request, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "{Worker} closed its channel during {Request}")]
    private partial void LogWorkerClosedChannel(string worker, string request);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "{Worker}: invalid response to {Request}: {Reason}; answered 500")]
    private partial void LogInvalidResponse(string worker, string request, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "{Worker}: the app sent more than its Content-Length of {ContentLength} for {Request}; the rest was dropped")]
    private partial void LogBodyTruncated(string worker, string request, long contentLength);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "{Worker}: the app declared Content-Length {ContentLength} for {Request} but sent {Missing} bytes less; connection closed")]
    private partial void LogBodyIncomplete(string worker, string request, long contentLength, long missing);
}
