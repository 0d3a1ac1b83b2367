using System.Buffers;
using PyHost.Protocol;

namespace PyHost.Workers.Dispatch;

/// <summary>How a request's body reaches the worker.</summary>
public enum RequestBodyKind
{
    /// <summary>No body: the worker is told so with the request, and never pulls.</summary>
    None,

    /// <summary>A body of known length of at most <see cref="WorkerChannel.EagerBodyLimit"/> bytes, with no
    /// <c>Expect: 100-continue</c>: sent with the request, saving a round trip.</summary>
    Small,

    /// <summary>Any other body: the worker pulls it as <c>wsgi.input</c> is read.</summary>
    Streamed,
}

/// <summary>
/// One request as a listener (HTTP, and later uwsgi, FastCGI, SCGI) presents it to the worker pool. The pool and the
/// channel own the worker protocol; the listener owns its own protocol to the client.
/// </summary>
public interface IWorkerExchange
{
    RequestBodyKind BodyKind { get; }

    /// <summary>True when the response must carry no body (HEAD): body bytes from the app are dropped.</summary>
    bool IsHeadRequest { get; }

    /// <summary>Signalled when the client goes away; only looked at while the request waits for a worker.</summary>
    CancellationToken ClientAborted { get; }

    /// <summary>Writes the CGI part of the environ as a marshal dict (see <see cref="MarshalWriter"/>).</summary>
    void WriteEnviron(IBufferWriter<byte> output);

    /// <summary>Copies up to <paramref name="maxBytes"/> of request body into <paramref name="destination"/>;
    /// returns 0 at the end of the body. Throws when the client went away or sent a malformed body.</summary>
    ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes);

    /// <summary>The app's validated status and headers. Nothing has reached the client yet.</summary>
    void StartResponse(ResponseHead head);

    /// <summary>Buffers a chunk of the response body; <see cref="FlushAsync"/> sends it.</summary>
    void WriteBody(ReadOnlySequence<byte> chunk);

    /// <summary>Sends what was buffered; false when the client is gone.</summary>
    ValueTask<bool> FlushAsync();

    /// <summary>"GET /path", for log lines about this request (timeouts, invalid responses).</summary>
    string Describe();
}
