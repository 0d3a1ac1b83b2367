using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using PyHost.Gateways;
using PyHost.Gateways.Cgi;
using PyHost.Gateways.FastCgi;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Gateways.FastCgi;

/// <summary>
/// A FastCGI request: its body arrives as FCGI_STDIN records, read from the connection as the pool asks for it; its
/// response goes out as FCGI_STDOUT records, a CGI response with a <c>Status:</c> header (§6.2, RFC 3875 §6).
/// </summary>
internal sealed class FastCgiExchange : GatewayExchange
{
    private readonly FastCgiSession _session;
    private readonly PipeWriter _output;
    private readonly long? _declaredLength;
    private ReadOnlySequence<byte> _pending;
    private long _received;
    private bool _bodyEnded;

    public FastCgiExchange(FastCgiSession session, GatewayRequest request, ushort requestId, GatewayServices services)
        : base(request, services)
    {
        _session = session;
        _output = session.Output;
        RequestId = requestId;
        _declaredLength = request.ContentLength;
        // FCGI_STDIN ends the body by itself, so a body may come without CONTENT_LENGTH (a web server streaming a
        // chunked upload): the pool then reads it whole and the environ gets its length, as for HTTP.
        bool mayHaveBody = _declaredLength > 0 || (_declaredLength is null && request.Method is not ("GET" or "HEAD" or "OPTIONS" or "DELETE" or "TRACE"));
        Body = mayHaveBody ? new RequestBodyInfo(true, _declaredLength, false) : RequestBodyInfo.None;
    }

    public ushort RequestId { get; }

    /// <summary>The empty FCGI_STDOUT and FCGI_END_REQUEST went out with the last body bytes (see <see cref="FlushAsync"/>).</summary>
    public bool Ended { get; private set; }

    public override RequestBodyInfo Body { get; }

    public override CancellationToken ClientAborted => _session.RequestAborted;

    public override async ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes)
    {
        while (_pending.IsEmpty)
        {
            if (_bodyEnded)
            {
                return 0;
            }
            long start = Stopwatch.GetTimestamp();
            (FastCgiRead read, FastCgiEvent @event) = await _session.ReadEventAsync(BodyReadTimeout());
            if (read != FastCgiRead.Event)
            {
                BodyError = read == FastCgiRead.TimedOut
                    ? new GatewayBodyError("it came slower than the minimum data rate", 408)
                    : new GatewayBodyError("the web server closed the connection or broke the protocol before the body's end", 0);
                throw new IOException(BodyError.Reason);
            }
            if (@event.RequestId != RequestId)
            {
                continue;   // a refused second request or a management record: answered in the session's replies
            }
            switch (@event.Kind)
            {
                case FastCgiEventKind.StdinData:
                    _pending = @event.Data;
                    _received += _pending.Length;
                    CountBodyRead(start, (int)_pending.Length);
                    if (_received > _declaredLength)
                    {
                        Fail($"the body is longer than its CONTENT_LENGTH of {_declaredLength}");
                    }
                    break;
                case FastCgiEventKind.StdinEnded:
                    _bodyEnded = true;
                    if (_received < _declaredLength)
                    {
                        Fail($"the body ended {_declaredLength - _received} bytes before its CONTENT_LENGTH");
                    }
                    _session.StartWatching(this);
                    break;
                case FastCgiEventKind.Aborted:
                    BodyError = new GatewayBodyError("the web server aborted the request", 0);
                    throw new OperationCanceledException(BodyError.Reason);
            }
        }
        ReadOnlySequence<byte> taken = _pending.Slice(0, Math.Min(maxBytes, _pending.Length));
        foreach (ReadOnlyMemory<byte> segment in taken)
        {
            destination.Write(segment.Span);
        }
        _pending = _pending.Slice(taken.End);
        return (int)taken.Length;
    }

    private void Fail(string reason)
    {
        _pending = default;
        BodyError = new GatewayBodyError(reason, 400);
        throw new InvalidDataException(reason);
    }

    protected override void WriteHead(int statusCode, string? reasonPhrase, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var head = new ArrayBufferWriter<byte>(256);
        CgiResponseWriter.Write(head, statusCode, reasonPhrase, headers, StatusLineStyle.CgiStatusHeader);
        FastCgiRecordWriter.WriteStdout(_output, RequestId, head.WrittenSpan);
    }

    protected override void WriteBodyBytes(ReadOnlySpan<byte> chunk) => FastCgiRecordWriter.WriteStdout(_output, RequestId, chunk);

    public override async ValueTask<bool> FlushAsync()
    {
        // A response whose Content-Length is complete ends here, so that the web server gets its last bytes and the
        // end of the request in one write, not two (the pool flushes the last chunk before the request ends).
        if (!Ended && ResponseContentLength is { } length && BodyBytesSent >= length)
        {
            Ended = true;
            _session.EndRequest(RequestId);
        }
        try
        {
            FlushResult result = await _output.FlushAsync();
            return !result.IsCompleted && !result.IsCanceled && !_session.RequestAborted.IsCancellationRequested;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or ConnectionResetException)
        {
            return false;
        }
    }

    /// <summary>The front's page for a request that could not even be read, as FCGI_STDOUT.</summary>
    public static void WriteErrorPage(PipeWriter output, ushort requestId, int statusCode, string explanation)
    {
        var response = new ArrayBufferWriter<byte>(1024);
        GatewayErrorPage.Write(response, StatusLineStyle.CgiStatusHeader, statusCode, explanation);
        FastCgiRecordWriter.WriteStdout(output, requestId, response.WrittenSpan);
    }
}
