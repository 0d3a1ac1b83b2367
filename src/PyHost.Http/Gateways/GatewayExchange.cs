using System.Buffers;
using System.Diagnostics;
using PyHost.Gateways;
using PyHost.Http.Observability;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Gateways;

/// <summary>
/// One request that came from a web server in front, as the worker pool sees it. The environ is the one the HTTP
/// front would send for the same request (<see cref="GatewayRequest"/>); how the body arrives and how the response
/// is framed is each protocol's (<see cref="WriteHead"/>, <see cref="WriteBodyBytes"/>, <see cref="ReadBodyAsync"/>).
/// </summary>
internal abstract class GatewayExchange : IWorkerExchange
{
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly DateTimeOffset _startTime = DateTimeOffset.Now;
    private long _bodyBytesRead;
    private TimeSpan _bodyWaited;

    protected GatewayExchange(GatewayRequest request, GatewayServices services)
    {
        Request = request;
        Services = services;
        IsHeadRequest = request.Method == "HEAD";
    }

    public GatewayRequest Request { get; }

    protected GatewayServices Services { get; }

    public abstract RequestBodyInfo Body { get; }

    public bool IsHeadRequest { get; }

    public abstract CancellationToken ClientAborted { get; }

    /// <summary>True once a status and headers were written: an error can then only cut the response short.</summary>
    public bool ResponseStarted { get; private set; }

    public int StatusCode { get; private set; }

    /// <summary>The response's Content-Length, when it has one: once that many body bytes went out, it is whole.</summary>
    protected long? ResponseContentLength { get; private set; }

    public long BodyBytesSent { get; private set; }

    /// <summary>Why reading the body failed: the peer left, broke its framing, or sent too slowly.</summary>
    public GatewayBodyError? BodyError { get; protected set; }

    /// <summary>The matched route's prefix ("" for "/"): the app's SCRIPT_NAME; at the root, the front server's mount
    /// point (<see cref="GatewayRequest.GatewayScriptName"/>) is.</summary>
    public string MountPrefix { get; set; } = "";

    public void WriteEnviron(IBufferWriter<byte> output, long? bufferedBodyLength) =>
        Request.WriteEnviron(output, scriptName: MountPrefix.Length > 0 ? MountPrefix : null, bufferedBodyLength, Site);

    public abstract ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes);

    public void StartResponse(ResponseHead head)
    {
        ResponseContentLength = head.ContentLength;
        StatusCode = head.StatusCode;
        ResponseStarted = true;
        WriteHead(head.StatusCode, head.ReasonPhrase, head.Headers);
    }

    public void WriteBody(ReadOnlySpan<byte> chunk)
    {
        BodyBytesSent += chunk.Length;
        WriteBodyBytes(chunk);
    }

    public abstract ValueTask<bool> FlushAsync();

    /// <summary>The site whose routes answered the request (null when none takes its host name), for the logs.</summary>
    public string? Site { get; set; }

    /// <summary>The app it was sent to, for the logs.</summary>
    public string? App { get; set; }

    public int WorkerId { get; private set; }

    public string Describe() => RequestDescription.Of(Request.Method, Request.RequestUri, Site, App);

    public void WorkerAssigned(IWorker worker) => WorkerId = worker.WorkerId;

    /// <summary>The status line or Status header, the fields and the empty line, framed as the protocol frames them.</summary>
    protected abstract void WriteHead(int statusCode, string? reasonPhrase, IReadOnlyList<KeyValuePair<string, string>> headers);

    protected abstract void WriteBodyBytes(ReadOnlySpan<byte> chunk);

    /// <summary>A short page of the front's own, when the app cannot answer (the HTTP front's <see cref="ErrorPages"/>).</summary>
    public void WriteErrorResponse(int statusCode, string explanation)
    {
        (List<KeyValuePair<string, string>> headers, byte[] page) = GatewayErrorPage.Render(statusCode, explanation);
        WriteResponse(statusCode, headers, page);
    }

    /// <summary>A whole response of the front's own (a route's redirect or fixed answer, an error page).</summary>
    public void WriteResponse(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, byte[] body)
    {
        ResponseContentLength = IsHeadRequest ? null : body.Length;
        StatusCode = statusCode;
        ResponseStarted = true;
        WriteHead(statusCode, null, headers);
        if (!IsHeadRequest && body.Length > 0)
        {
            BodyBytesSent += body.Length;
            WriteBodyBytes(body);
        }
    }

    /// <summary>
    /// How long the next body read may wait: the minimum body data rate (240 bytes/s after a 5 s grace by default, as
    /// Kestrel's) applied to the time spent waiting for the peer, not to the time the app took between reads.
    /// </summary>
    protected TimeSpan BodyReadTimeout()
    {
        if (Services.MinBodyRate is not { } rate)
        {
            return Timeout.InfiniteTimeSpan;
        }
        TimeSpan allowed = rate.Grace + TimeSpan.FromSeconds(_bodyBytesRead / rate.BytesPerSecond) - _bodyWaited;
        return allowed > TimeSpan.Zero ? allowed : TimeSpan.FromMilliseconds(1);
    }

    protected void CountBodyRead(long startTimestamp, int bytes)
    {
        _bodyWaited += Stopwatch.GetElapsedTime(startTimestamp);
        _bodyBytesRead += bytes;
    }

    /// <summary>The access log line, with the client's address, user, target and headers as the front server passed
    /// them, and the site and app that answered.</summary>
    public void LogAccess()
    {
        if (Services.AccessLog is not { } accessLog)
        {
            return;
        }
        CgiVariables variables = Request.Variables;
        accessLog.Write(new GatewayAccess(
            RemoteAddress: variables.GetLatin1("REMOTE_ADDR"),
            // The user the front server authenticated (nginx's $remote_user, Apache's r->user), RFC 3875 §4.1.11.
            User: variables.GetLatin1("REMOTE_USER"),
            Method: Request.Method,
            Target: Request.RequestUri,
            Protocol: variables.GetLatin1("SERVER_PROTOCOL") ?? "HTTP/1.1",
            Status: StatusCode,
            BodyBytes: BodyBytesSent,
            Referer: variables.GetLatin1("HTTP_REFERER"),
            UserAgent: variables.GetLatin1("HTTP_USER_AGENT"),
            StartTime: _startTime,
            Duration: Stopwatch.GetElapsedTime(_startedAt),
            Site: Site,
            App: App,
            WorkerId: WorkerId));
    }
}

/// <summary>Why a gateway request's body could not be read, and the status that answers it (0: nobody to answer).</summary>
internal sealed record GatewayBodyError(string Reason, int StatusCode);
