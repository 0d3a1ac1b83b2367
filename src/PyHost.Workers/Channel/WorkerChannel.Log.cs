using Microsoft.Extensions.Logging;

namespace PyHost.Workers.Channel;

public sealed partial class WorkerChannel
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "{Worker} broke the protocol: {Reason}; its requests get 502")]
    private partial void LogProtocolError(string worker, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "{Worker} closed its channel with requests in flight")]
    private partial void LogWorkerClosedChannel(string worker);
}
