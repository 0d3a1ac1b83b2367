namespace PyHost.Protocol;

/// <summary>Frame types of the worker protocol (docs/protocol.md).</summary>
public enum FrameType : byte
{
    // Front → worker.
    Request = 1,
    Body = 2,
    Abort = 3,
    Stop = 4,
    Ping = 5,
    Fork = 6,
    Credit = 7,
    Recall = 8,
    Cancel = 9,
    WebSocketMessage = 10,
    WebSocketDisconnect = 11,

    // Worker → front.
    Hello = 16,
    Ready = 17,
    BootFailed = 18,
    ResponseStart = 19,
    ResponseBody = 20,
    ResponseEnd = 21,
    BodyPull = 22,
    Pong = 23,
    ChildExited = 24,
    Retiring = 25,
    WebSocketAccept = 26,
    WebSocketSend = 27,
    WebSocketClose = 28,
    WebSocketCredit = 29,
    ResponseTrailers = 30,
    ResponseFile = 31,
    Log = 32,
}

/// <summary>Flag bits, whose meaning depends on the frame type.</summary>
public static class FrameFlags
{
    /// <summary>On <see cref="FrameType.Request"/>: the request has no body; the worker never pulls.</summary>
    public const byte RequestNoBody = 1;

    /// <summary>On <see cref="FrameType.Request"/>: the payload is an ASGI scope, not a CGI environ.</summary>
    public const byte RequestScope = 2;

    /// <summary>On <see cref="FrameType.Request"/>: the front can deliver response trailers (HTTP/2 and the client
    /// sent <c>TE: trailers</c>); the worker offers the <c>http.response.trailers</c> extension.</summary>
    public const byte RequestTrailers = 4;

    /// <summary>On <see cref="FrameType.WebSocketMessage"/> and <see cref="FrameType.WebSocketSend"/>: a text
    /// message (UTF-8); without it, binary.</summary>
    public const byte MessageText = 1;

    /// <summary>On <see cref="FrameType.WebSocketMessage"/> and <see cref="FrameType.WebSocketSend"/>: more pieces
    /// of this message follow.</summary>
    public const byte MessageMore = 2;

    /// <summary>On <see cref="FrameType.Body"/>: the request body ends with this frame.</summary>
    public const byte BodyEnd = 1;

    /// <summary>On <see cref="FrameType.Body"/>: the client went away; <c>wsgi.input</c> raises.</summary>
    public const byte BodyAborted = 2;

    /// <summary>On <see cref="FrameType.ResponseEnd"/>: the app raised after the response had started.</summary>
    public const byte AppError = 1;

    /// <summary>On <see cref="FrameType.ResponseEnd"/>: the request never ran (withdrawn by ABORT, given back by RECALL
    /// or by a retiring worker); the front may run it elsewhere.</summary>
    public const byte NotStarted = 2;
}

/// <summary>Numbers both ends of the worker protocol agree on (docs/protocol.md).</summary>
public static class FrameLimits
{
    /// <summary>Response body bytes a worker may send for a request before the front grants more with CREDIT.</summary>
    public const int ResponseWindow = 1024 * 1024;

    /// <summary>A request body up to this size goes out with its REQUEST, saving the worker a round trip.</summary>
    public const int EagerBodyLimit = 64 * 1024;

    /// <summary>The most body bytes the front sends for one BODY_PULL.</summary>
    public const int MaxPullLength = 256 * 1024;

    /// <summary>WebSocket message bytes the front may send a worker for one socket before the worker grants more
    /// with WS_CREDIT; a message is never cut for it, so a worker holds at most this plus one message.</summary>
    public const int WebSocketWindow = 1024 * 1024;
}
