using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using PyHost.Http.Observability;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Http;

/// <summary>One HTTP request as the worker pool sees it: the environ or ASGI scope, the body reader, the response
/// writer; and for an ASGI worker the WebSocket handshake and response trailers (HttpWorkerExchange.Asgi.cs).</summary>
internal sealed partial class HttpWorkerExchange : IWorkerExchange
{
    private readonly HttpContext _context;
    private readonly string _scriptName;

    /// <param name="scriptName">The route's mount prefix: the app's SCRIPT_NAME, or an ASGI app's root_path.</param>
    /// <param name="webSockets">An ASGI app's WebSocket pings and compression.</param>
    public HttpWorkerExchange(HttpContext context, string scriptName = "", HttpWebSocketOptions? webSockets = null)
    {
        _context = context;
        _scriptName = scriptName;
        _webSockets = webSockets ?? HttpWebSocketOptions.Default;
        HttpRequest request = context.Request;
        IsHeadRequest = HttpMethods.IsHead(request.Method);
        Body = DescribeBody(context);
    }

    public RequestBodyInfo Body { get; }

    public bool IsHeadRequest { get; }

    public CancellationToken ClientAborted => _context.RequestAborted;

    /// <summary>True once the app's status and headers were applied to the response.</summary>
    public bool ResponseStarted { get; private set; }

    /// <summary>Body bytes handed to Kestrel, for the access log.</summary>
    public long BodyBytesSent { get; private set; }

    /// <summary>Request body bytes taken from the client, for the metrics.</summary>
    public long BodyBytesReceived { get; private set; }

    /// <summary>Why reading the request body failed, if it did: a malformed or too slow body (Kestrel's
    /// BadHttpRequestException, with the status to answer), or a client that went away.</summary>
    public Exception? BodyError { get; private set; }

    private static RequestBodyInfo DescribeBody(HttpContext context)
    {
        long? length = context.Request.ContentLength;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false } || length == 0)
        {
            return RequestBodyInfo.None;
        }
        // With "Expect: 100-continue" the client waits for us before sending; Kestrel answers it when we first read.
        return new RequestBodyInfo(true, length, context.Request.Headers.Expect.Count > 0);
    }

    public void WriteEnviron(IBufferWriter<byte> output, long? bufferedBodyLength) => WsgiEnviron.Write(_context, output, bufferedBodyLength, _scriptName);

    public async ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes)
    {
        try
        {
            return await ReadBodyCoreAsync(destination, maxBytes);
        }
        catch (Exception ex)
        {
            BodyError ??= ex;
            throw;
        }
    }

    private async ValueTask<int> ReadBodyCoreAsync(IBufferWriter<byte> destination, int maxBytes)
    {
        PipeReader body = _context.Request.BodyReader;
        while (true)
        {
            ReadResult result = await body.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                ReadOnlySequence<byte> taken = buffer.Slice(0, Math.Min(maxBytes, buffer.Length));
                // Measured before AdvanceTo: after it the pipe may recycle the segments, and a multi-segment
                // sequence's Length is computed from them.
                int length = (int)taken.Length;
                foreach (ReadOnlyMemory<byte> segment in taken)
                {
                    destination.Write(segment.Span);
                }
                body.AdvanceTo(taken.End);
                BodyBytesReceived += length;
                return length;
            }
            body.AdvanceTo(buffer.End);
            // Only a completed reader means the body ended: an empty read that was cancelled must not pass for the
            // end of the body, or the app would see a short upload as a whole one.
            if (result.IsCompleted)
            {
                return 0;
            }
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("the request body read was cancelled");
            }
        }
    }

    public void StartResponse(ResponseHead head)
    {
        HttpResponse response = _context.Response;
        response.StatusCode = head.StatusCode;
        if (head.ReasonPhrase is not null)
        {
            _context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = head.ReasonPhrase;
        }
        IHeaderDictionary headers = response.Headers;
        foreach (KeyValuePair<string, string> header in head.Headers)
        {
            headers.Append(header.Key, header.Value);
        }
        ResponseStarted = true;
    }

    public void WriteBody(ReadOnlySpan<byte> chunk)
    {
        _context.Response.BodyWriter.Write(chunk);
        BodyBytesSent += chunk.Length;
    }

    public async ValueTask<bool> FlushAsync()
    {
        try
        {
            FlushResult result = await _context.Response.BodyWriter.FlushAsync();
            return !result.IsCompleted && !result.IsCanceled && !_context.RequestAborted.IsCancellationRequested;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>The site whose route sent the request here, for log lines.</summary>
    public string? Site { get; init; }

    /// <summary>The app it was sent to, for log lines.</summary>
    public string? App { get; init; }

    public string Describe() => RequestDescription.Of(_context.Request.Method, _context.Features.Get<IHttpRequestFeature>()!.RawTarget, Site, App);

    public void WorkerAssigned(IWorker worker)
    {
        if (RequestRecord.Of(_context) is { } record)
        {
            record.WorkerId = worker.WorkerId;
        }
    }
}
