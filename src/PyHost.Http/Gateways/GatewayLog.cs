using Microsoft.Extensions.Logging;

namespace PyHost.Http.Gateways;

/// <summary>The gateway listeners' log lines: a peer that breaks its protocol is named, with what it did.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "{Protocol} peer {Peer}: {Error}; connection closed")]
    public static partial void ProtocolError(ILogger logger, string protocol, string peer, string error);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "{Protocol} peer {Peer}: {Error}; answered 400")]
    public static partial void BadRequest(ILogger logger, string protocol, string peer, string error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "{Protocol} peer {Peer} sent no complete request within {Seconds} s; connection closed")]
    public static partial void HeadTimedOut(ILogger logger, string protocol, string peer, double seconds);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "{Protocol} peer {Peer}: the request body of {Request} could not be read ({Reason}); answered {Status}")]
    public static partial void BodyFailed(ILogger logger, string protocol, string peer, string request, string reason, int status);

    [LoggerMessage(EventId = 304, Level = LogLevel.Error, Message = "{Request} ran past --timeout: the front server got a 504")]
    public static partial void TimeoutAnswered(ILogger logger, string request);

    [LoggerMessage(EventId = 305, Level = LogLevel.Error, Message = "{Request} ran past --timeout after its response had started: the connection was cut after {Bytes} body bytes")]
    public static partial void TimeoutCut(ILogger logger, string request, long bytes);

    [LoggerMessage(EventId = 306, Level = LogLevel.Debug, Message = "{Protocol} peer {Peer} closed the connection before its request was complete")]
    public static partial void ClosedEarly(ILogger logger, string protocol, string peer);
}
