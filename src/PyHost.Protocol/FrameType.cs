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
}

/// <summary>Flag bits, whose meaning depends on the frame type.</summary>
public static class FrameFlags
{
    /// <summary>On <see cref="FrameType.Body"/>: the request body ends with this frame.</summary>
    public const byte BodyEnd = 1;

    /// <summary>On <see cref="FrameType.Body"/>: the client went away; <c>wsgi.input</c> raises.</summary>
    public const byte BodyAborted = 2;

    /// <summary>On <see cref="FrameType.ResponseEnd"/>: the app raised after the response had started.</summary>
    public const byte AppError = 1;
}
