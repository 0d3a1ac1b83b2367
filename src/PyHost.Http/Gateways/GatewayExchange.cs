using System.Buffers;
using System.Diagnostics;
using PyHost.Gateways;
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
        Request.WriteEnviron(output, scriptName: MountPrefix.Length > 0 ? MountPrefix : null, bufferedBodyLength);

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

    public string Describe() => $"{Request.Method} {Request.RequestUri}";

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

    /// <summary>The access log line, with the client's address, target and headers as the front server passed them.</summary>
    public void LogAccess()
    {
        CgiVariables variables = Request.Variables;
        Services.AccessLog?.Write(variables.GetLatin1("REMOTE_ADDR"), variables.GetLatin1("REMOTE_USER"), Request.Method,
            Request.RequestUri, variables.GetLatin1("SERVER_PROTOCOL") ?? "HTTP/1.1", StatusCode, BodyBytesSent,
            variables.GetLatin1("HTTP_REFERER"), variables.GetLatin1("HTTP_USER_AGENT"));
    }
}

/// <summary>Why a gateway request's body could not be read, and the status that answers it (0: nobody to answer).</summary>
internal sealed record GatewayBodyError(string Reason, int StatusCode);
