namespace PyHost.Workers.Dispatch;

/// <summary>
/// How a dispatch ended. Everything but <see cref="Completed"/> is an error the listener turns into its own answer:
/// an error page while nothing was sent, else a closed connection.
/// </summary>
public enum DispatchOutcome
{
    /// <summary>The app's whole response was handed to the listener.</summary>
    Completed,

    /// <summary>Every worker was busy and the wait queue was full (503 with Retry-After).</summary>
    QueueFull,

    /// <summary>The server is stopping and takes no new work (503).</summary>
    ShuttingDown,

    /// <summary>The worker died or broke the protocol mid-request (502).</summary>
    WorkerDied,

    /// <summary>The request ran past <c>--timeout</c>; the worker is being replaced (504).</summary>
    Timeout,

    /// <summary>The app's status or headers were refused, already logged (500).</summary>
    InvalidResponse,

    /// <summary>The app raised after its response had started: the client must see a cut-off response.</summary>
    AppErrorAfterStart,

    /// <summary>The app sent fewer body bytes than its Content-Length: the client must see a cut-off response.</summary>
    IncompleteBody,

    /// <summary>The client went away; there is no one to answer.</summary>
    ClientGone,

    /// <summary>Reading the request body failed (client gone, malformed chunked body, too slow) before the app
    /// answered: the listener answers as its protocol says (Kestrel: 400 or 408, or nothing when the client is gone).</summary>
    RequestBodyFailed,

    /// <summary>The request body is larger than the route allows (413).</summary>
    RequestBodyTooLarge,

    /// <summary>The front's buffer space for request bodies is used up (503 with Retry-After).</summary>
    BufferSpaceExhausted,

    /// <summary>Internal to the pool: the worker gave the request back unstarted (recalled, retiring, or its worker
    /// died before it began); the pool runs it elsewhere. Listeners never see it.</summary>
    NotStarted,
}

public static class DispatchOutcomeExtensions
{
    /// <summary>The status a listener answers with when nothing was sent yet; 0 when there is nothing to send.</summary>
    public static int ErrorStatusCode(this DispatchOutcome outcome) => outcome switch
    {
        DispatchOutcome.QueueFull or DispatchOutcome.ShuttingDown or DispatchOutcome.BufferSpaceExhausted => 503,
        DispatchOutcome.WorkerDied => 502,
        DispatchOutcome.Timeout => 504,
        DispatchOutcome.InvalidResponse or DispatchOutcome.AppErrorAfterStart or DispatchOutcome.IncompleteBody => 500,
        DispatchOutcome.RequestBodyTooLarge => 413,
        _ => 0,
    };
}
