namespace PyHost.Workers.Dispatch;

/// <summary>How the front carries one route's requests to its workers: what it buffers, and how much it takes.</summary>
public sealed record DispatchPolicy
{
    public static DispatchPolicy Default { get; } = new();

    /// <summary>
    /// Read the whole request body before asking for a worker (nginx's <c>proxy_request_buffering on</c>): a slow
    /// upload then costs a connection, never a worker. Off: the worker pulls the body from the client as it reads
    /// <c>wsgi.input</c>, for true streaming uploads.
    /// </summary>
    public bool RequestBuffering { get; init; } = true;

    /// <summary>
    /// Take the app's response as fast as the worker produces it and release the worker at its end, while the client
    /// reads at its own pace (nginx's <c>proxy_buffering on</c>). An app turns it off per response with
    /// <c>X-Accel-Buffering: no</c>. Streamed responses are forwarded chunk by chunk either way.
    /// </summary>
    public bool ResponseBuffering { get; init; } = true;

    /// <summary>The largest request body accepted (413 beyond it); null for no limit.</summary>
    public long? MaxRequestBodySize { get; init; } = 100L * 1024 * 1024;

    /// <summary>
    /// The largest WebSocket message a client may send an ASGI app (uvicorn's --ws-max-size, 16 MiB); a larger one
    /// closes the socket with 1009 (RFC 6455 §7.4.1) as soon as its bytes pass the limit, never buffered whole.
    /// </summary>
    public long MaxWebSocketMessageSize { get; init; } = 16L * 1024 * 1024;
}
