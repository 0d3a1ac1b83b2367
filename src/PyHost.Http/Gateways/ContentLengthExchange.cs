using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using PyHost.Gateways;
using PyHost.Gateways.Cgi;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Gateways;

/// <summary>A uwsgi or SCGI request: the body is the next CONTENT_LENGTH bytes on the connection, and the response is
/// written to it as it is, its end marked by the end of the connection.</summary>
internal sealed class ContentLengthExchange : GatewayExchange
{
    private readonly ConnectionContext _connection;
    private readonly GatewayInput _input;
    private readonly PipeWriter _output;
    private readonly StatusLineStyle _style;

    public ContentLengthExchange(GatewayRequest request, GatewayServices services, ConnectionContext connection, GatewayInput input, StatusLineStyle style)
        : base(request, services)
    {
        _connection = connection;
        _input = input;
        _output = connection.Transport.Output;
        _style = style;
        BodyRemaining = request.ContentLength ?? 0;
        Body = BodyRemaining > 0 ? new RequestBodyInfo(true, BodyRemaining, false) : RequestBodyInfo.None;
    }

    public override RequestBodyInfo Body { get; }

    /// <summary>Body bytes not read yet.</summary>
    public long BodyRemaining { get; private set; }

    public override CancellationToken ClientAborted => _connection.ConnectionClosed;

    public override async ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes)
    {
        if (BodyRemaining == 0)
        {
            return 0;
        }
        long start = Stopwatch.GetTimestamp();
        (GatewayReadStatus status, ReadResult result) = await _input.ReadAsync(BodyReadTimeout());
        if (status == GatewayReadStatus.TimedOut)
        {
            BodyError = new GatewayBodyError("it came slower than the minimum data rate", 408);
            throw new TimeoutException(BodyError.Reason);
        }
        ReadOnlySequence<byte> buffer = result.Buffer;
        if (buffer.IsEmpty)
        {
            _input.Reader.AdvanceTo(buffer.Start);
            BodyError = new GatewayBodyError($"the peer closed the connection {BodyRemaining} bytes before its end", 0);
            throw new IOException(BodyError.Reason);
        }
        ReadOnlySequence<byte> taken = buffer.Slice(0, Math.Min(Math.Min(maxBytes, BodyRemaining), buffer.Length));
        int length = (int)taken.Length;
        foreach (ReadOnlyMemory<byte> segment in taken)
        {
            destination.Write(segment.Span);
        }
        _input.Reader.AdvanceTo(taken.End);
        BodyRemaining -= length;
        CountBodyRead(start, length);
        return length;
    }

    protected override void WriteHead(int statusCode, string? reasonPhrase, IReadOnlyList<KeyValuePair<string, string>> headers) =>
        CgiResponseWriter.Write(_output, statusCode, reasonPhrase, headers, _style);

    protected override void WriteBodyBytes(ReadOnlySpan<byte> chunk) => _output.Write(chunk);

    public override async ValueTask<bool> FlushAsync()
    {
        try
        {
            FlushResult result = await _output.FlushAsync();
            return !result.IsCompleted && !result.IsCanceled && !_connection.ConnectionClosed.IsCancellationRequested;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or ConnectionResetException)
        {
            return false;
        }
    }
}
