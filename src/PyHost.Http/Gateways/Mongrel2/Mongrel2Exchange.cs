using System.Buffers;
using PyHost.Gateways;
using PyHost.Gateways.Cgi;
using PyHost.Gateways.Mongrel2;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Gateways.Mongrel2;

/// <summary>
/// A request Mongrel2 passed to PyHost. Mongrel2 sends the whole body with the request; the response goes back as
/// messages addressed to the client's connection id, which Mongrel2 writes to the client as they are: the HTTP
/// response itself, its head by <see cref="CgiResponseWriter"/>. A response without a Content-Length is ended by
/// closing the client's connection (the empty message), so it carries <c>Connection: close</c>.
/// </summary>
internal sealed class Mongrel2Exchange : GatewayExchange
{
    private readonly Mongrel2Handler _handler;
    private readonly Mongrel2Request _message;
    private readonly CancellationTokenSource _aborted;
    private readonly ArrayBufferWriter<byte> _pending = new(4096);
    private ReadOnlyMemory<byte> _body;

    public Mongrel2Exchange(Mongrel2Handler handler, Mongrel2Request message, GatewayRequest request, GatewayServices services, CancellationTokenSource aborted)
        : base(request, services)
    {
        _handler = handler;
        _message = message;
        _aborted = aborted;
        _body = message.Body;
        Body = _body.IsEmpty ? RequestBodyInfo.None : new RequestBodyInfo(true, _body.Length, false);
    }

    public override RequestBodyInfo Body { get; }

    public override CancellationToken ClientAborted => _aborted.Token;

    /// <summary>The response had no Content-Length: the client's connection must be closed after it.</summary>
    public bool CloseAfterResponse { get; private set; }

    public override ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes)
    {
        int length = Math.Min(maxBytes, _body.Length);
        destination.Write(_body.Span[..length]);
        _body = _body[length..];
        return ValueTask.FromResult(length);
    }

    protected override void WriteHead(int statusCode, string? reasonPhrase, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        if (!headers.Any(header => header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            CloseAfterResponse = true;
            headers = [.. headers, new("Connection", "close")];
        }
        CgiResponseWriter.Write(_pending, statusCode, reasonPhrase, headers, StatusLineStyle.HttpStatusLine);
    }

    protected override void WriteBodyBytes(ReadOnlySpan<byte> chunk) => _pending.Write(chunk);

    public override ValueTask<bool> FlushAsync()
    {
        if (_pending.WrittenCount > 0)
        {
            _handler.Send(_message.Sender, _message.ConnectionId, _pending.WrittenSpan);
            _pending.ResetWrittenCount();
        }
        return ValueTask.FromResult(!_aborted.IsCancellationRequested);
    }

    /// <summary>Tells Mongrel2 to close the client's connection: the end of a response without a length, or a cut one.</summary>
    public void CloseClient() => _handler.SendClose(_message.Sender, _message.ConnectionId);
}
