using System.Buffers;
using PyHost.Protocol;

namespace PyHost.Workers.Dispatch;

/// <summary>What a listener knows of a request's body before reading it.</summary>
/// <param name="HasBody">False when the request can have no body (no Content-Length or Transfer-Encoding, or 0).</param>
/// <param name="ContentLength">The declared length; null for a chunked (or HTTP/2 unsized) body.</param>
/// <param name="ExpectsContinue">The client waits for <c>100 Continue</c> before it sends the body.</param>
public readonly record struct RequestBodyInfo(bool HasBody, long? ContentLength, bool ExpectsContinue)
{
    public static RequestBodyInfo None => new(false, 0, false);
}

/// <summary>
/// One request as a listener (HTTP, and the uwsgi, FastCGI and SCGI gateways) presents it to the worker pool. The pool
/// and the channel own the worker protocol, buffering and flow control; the listener owns its own protocol to the
/// client.
/// </summary>
public interface IWorkerExchange
{
    RequestBodyInfo Body { get; }

    /// <summary>True when the response must carry no body (HEAD): body bytes from the app are dropped.</summary>
    bool IsHeadRequest { get; }

    /// <summary>Signalled when the client goes away.</summary>
    CancellationToken ClientAborted { get; }

    /// <summary>
    /// Writes the CGI part of the environ as a marshal dict (see <see cref="MarshalWriter"/>). When the front buffered
    /// the whole body, <paramref name="bufferedBodyLength"/> is its length, which becomes CONTENT_LENGTH even for a
    /// chunked upload (as nginx does when it buffers): apps that need a length get one.
    /// </summary>
    void WriteEnviron(IBufferWriter<byte> output, long? bufferedBodyLength);

    /// <summary>
    /// For an ASGI worker: writes the request as an ASGI scope (docs/protocol.md "The ASGI scope payload") and returns
    /// true. A listener that has only CGI variables to give (the uwsgi, FastCGI and SCGI gateways) keeps this default:
    /// it writes the environ and returns false, and the worker derives the scope from it.
    /// </summary>
    bool WriteScope(IBufferWriter<byte> output, long? bufferedBodyLength)
    {
        WriteEnviron(output, bufferedBodyLength);
        return false;
    }

    /// <summary>Copies up to <paramref name="maxBytes"/> of request body into <paramref name="destination"/>;
    /// returns 0 at the end of the body. Throws when the client went away or sent a malformed body.</summary>
    ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes);

    /// <summary>The app's validated status and headers. Nothing has reached the client yet.</summary>
    void StartResponse(ResponseHead head);

    /// <summary>Buffers a chunk of the response body; <see cref="FlushAsync"/> sends it.</summary>
    void WriteBody(ReadOnlySpan<byte> chunk);

    /// <summary>Sends what was buffered; false when the client is gone.</summary>
    ValueTask<bool> FlushAsync();

    /// <summary>"GET /path (site blog, app blog)", for log lines about this request (timeouts, invalid responses).</summary>
    string Describe();

    /// <summary>Told which worker runs the request (again if it was given back and runs elsewhere), for the logs.</summary>
    void WorkerAssigned(IWorker worker)
    {
    }
}
