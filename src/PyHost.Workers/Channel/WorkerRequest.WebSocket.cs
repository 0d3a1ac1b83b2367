using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Workers.Channel;

// A request whose ASGI app accepted a WebSocket. The front does the protocol (handshake, fragments, ping/pong,
// permessage-deflate, the size limit, the close handshake); the worker sees whole messages. Both directions are
// flow-controlled: the app's messages by the request's credit (granted as the client takes them), the client's by a
// window the worker reopens with WS_CREDIT as the app takes them, so no side buffers without bound.
internal sealed partial class WorkerRequest
{
    private const int ReceiveSegment = 16 * 1024;
    // A message's first read gets a small array (most messages are small; with hundreds of sockets the pool runs out of
    // 16 KiB arrays and each would be a fresh allocation); a message that fills it gets ReceiveSegment for the rest.
    private const int FirstReceiveSegment = 4 * 1024;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    private volatile WebSocketAccept? _webSocketAccept;
    private readonly Queue<OutgoingPiece> _outgoing = new();           // the app's message pieces; guarded by _lock
    private readonly AsyncSignal _windowSignal = new();
    private long _inFlightToWorker;                                     // client message bytes the worker has not taken
    private volatile WebSocketState _session = WebSocketState.None;    // Open while the pump runs the socket
    private CloseRequest? _appClose;                                    // websocket.close from the app
    private CloseRequest? _frontClose;                                  // 1009, 1012, 1001: the front closes
    private CloseRequest? _clientClose;                                 // the client's close frame, to echo
    private int _workerToldClosed;

    /// <summary>WS_ACCEPT: the app accepted; the pump completes the handshake.</summary>
    public void OnWebSocketAccept(ReadOnlySequence<byte> payload)
    {
        if (_started || _webSocketAccept is not null)
        {
            throw new ProtocolException("WS_ACCEPT after a response or a first WS_ACCEPT");
        }
        string[] parts = Encoding.Latin1.GetString(payload).Split('\0');
        string subProtocol = parts[0];
        var headers = new List<KeyValuePair<string, string>>();
        string? error = null;
        if (parts.Length > 1)
        {
            byte[] fields = Encoding.Latin1.GetBytes(string.Join('\0', parts[1..]));
            headers = ParseFields(new ReadOnlySequence<byte>(fields), out error);
            if (headers.Any(h => h.Key.StartsWith("sec-websocket-", StringComparison.OrdinalIgnoreCase)))
            {
                error ??= "websocket.accept headers must not name Sec-WebSocket-* fields; the subprotocol has a key of its own (www.rst)";
            }
        }
        if (subProtocol.Length > 0 && !HttpTokens.IsToken(Encoding.Latin1.GetBytes(subProtocol)))
        {
            error ??= $"the subprotocol '{subProtocol}' is not a token (RFC 6455 §4.1)";
        }
        _webSocketAccept = new WebSocketAccept(subProtocol, headers, error);
        _extras = true;
    }

    /// <summary>WS_SEND: a message, or a piece of one, for the client; the pump sends it within the request's credit.</summary>
    public void OnWebSocketSend(byte flags, ReadOnlySequence<byte> payload)
    {
        int length = (int)payload.Length;
        _received += length;
        if (_session > WebSocketState.Open || _clientGone || _failed)
        {
            Credit(length);   // nobody will send it: the worker must not wait for this credit
            return;
        }
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        payload.CopyTo(copy);
        lock (_lock)
        {
            _outgoing.Enqueue(new OutgoingPiece(copy, length, flags));
        }
    }

    /// <summary>WS_CLOSE: the app closes the socket with its code and reason.</summary>
    public void OnWebSocketClose(ReadOnlySequence<byte> payload)
    {
        lock (_lock)
        {
            _appClose ??= CloseRequest.Read(payload, WebSocketCloseStatus.NormalClosure);
        }
    }

    /// <summary>WS_CREDIT: the app took messages; the window towards the worker opens by that much.</summary>
    public void OnWebSocketCredit(ReadOnlySequence<byte> payload)
    {
        if (payload.Length != 4)
        {
            throw new ProtocolException("WS_CREDIT payload is not 4 bytes");
        }
        Span<byte> count = stackalloc byte[4];
        payload.CopyTo(count);
        Interlocked.Add(ref _inFlightToWorker, -BinaryPrimitives.ReadUInt32LittleEndian(count));
        _windowSignal.Set();
    }

    /// <summary>The front closes the socket: 1012 when a retiring worker's graceful time is up, 1001 when the server
    /// stops. The client gets the close frame, the app a websocket.disconnect.</summary>
    public void CloseFromFront(ushort code, string reason)
    {
        lock (_lock)
        {
            _frontClose ??= new CloseRequest((WebSocketCloseStatus)code, reason);
        }
        TellWorkerClosed(code, reason);
        _signal.Set();
    }

    /// <summary>The pump, once the app accepted: completes the handshake, then runs the socket until the app's task ends.</summary>
    private async ValueTask<DispatchOutcome> RunWebSocketAsync()
    {
        WebSocketAccept accept = _webSocketAccept!;
        _extras = false;   // from here on the pump is this method
        string? refusal = accept.Error;
        if (refusal is null && Exchange is not IWebSocketExchange { IsWebSocketRequest: true })
        {
            refusal = "websocket.accept for a request that is not a WebSocket handshake";
        }
        if (refusal is not null)
        {
            LogInvalidResponse(_channel.Name, Exchange.Describe(), refusal);
            await AbandonSessionAsync();
            return _clientGone ? DispatchOutcome.ClientGone : DispatchOutcome.InvalidResponse;
        }
        WebSocket? socket = _clientGone ? null
            : await ((IWebSocketExchange)Exchange).AcceptWebSocketAsync(accept.SubProtocol.Length == 0 ? null : accept.SubProtocol, accept.Headers);
        if (socket is null)
        {
            await AbandonSessionAsync();
            return DispatchOutcome.ClientGone;
        }
        _session = WebSocketState.Open;
        _channel.OnSessionStarted(this);
        Task receiving = ReceiveFromClientAsync(socket);
        bool closeSent = false;
        long creditOwed = 0;
        try
        {
            while (true)
            {
                while (TryTakePiece(out OutgoingPiece piece))
                {
                    if (!closeSent && !_clientGone)
                    {
                        try
                        {
                            await socket.SendAsync(piece.Memory, (piece.Flags & FrameFlags.MessageText) != 0 ? WebSocketMessageType.Text : WebSocketMessageType.Binary,
                                (piece.Flags & FrameFlags.MessageMore) == 0, CancellationToken.None);
                        }
                        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
                        {
                            _clientGone = true;
                            TellWorkerClosed(1006, "");
                        }
                    }
                    ArrayPool<byte>.Shared.Return(piece.Buffer);
                    creditOwed += piece.Length;
                    if (creditOwed >= CreditBatch)
                    {
                        SendCredit(creditOwed);
                        creditOwed = 0;
                    }
                }
                bool ended;
                lock (_lock)
                {
                    ended = _ended;
                }
                if (!closeSent && ChooseClose(ended) is { } close)
                {
                    closeSent = true;
                    _session = WebSocketState.CloseSent;
                    await CloseOutputAsync(socket, close);
                }
                if (ended && !HasOutgoing())
                {
                    break;
                }
                // Credit goes back in batches only, never per message: the worker waits only once its window (1 MiB)
                // is used up, and what is owed here stays under half of it, so an idle session never starves it.
                await _signal.WaitAsync();
            }
        }
        finally
        {
            _session = WebSocketState.Closed;
            _windowSignal.Set();
            await FinishReceivingAsync(socket, receiving);
            socket.Dispose();
            while (TryTakePiece(out OutgoingPiece left))
            {
                ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }
        return DispatchOutcome.Completed;
    }

    /// <summary>No socket after all (the handshake failed, or the accept was invalid): the app is told it closed
    /// (1006) and its messages are dropped until its task ends.</summary>
    private async ValueTask AbandonSessionAsync()
    {
        _session = WebSocketState.Closed;
        TellWorkerClosed(1006, "");
        while (TryTakePiece(out OutgoingPiece dropped))
        {
            ArrayPool<byte>.Shared.Return(dropped.Buffer);
            SendCredit(dropped.Length);
        }
        await WaitForEndAsync();
    }

    /// <summary>Which close frame to send now, if any: the app's, the front's own (1009, 1012, 1001), an echo of the
    /// client's, or at the app's end 1000 (1011 if it raised, or its worker died).</summary>
    private CloseRequest? ChooseClose(bool ended)
    {
        lock (_lock)
        {
            if ((_appClose ?? _frontClose ?? _clientClose) is { } chosen)
            {
                return chosen;
            }
        }
        if (!ended)
        {
            return null;
        }
        if (_failure is { } failure)
        {
            return new CloseRequest(WebSocketCloseStatus.InternalServerError, failure == DispatchOutcome.WorkerDied ? "worker died" : "server error");
        }
        return (_endFlags & FrameFlags.AppError) != 0
            ? new CloseRequest(WebSocketCloseStatus.InternalServerError, "")
            : new CloseRequest(WebSocketCloseStatus.NormalClosure, "");
    }

    private static async Task CloseOutputAsync(WebSocket socket, CloseRequest close)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>Lets the client's close reply arrive (RFC 6455 §7.1.1), for a moment; then the socket is dropped.</summary>
    private static async Task FinishReceivingAsync(WebSocket socket, Task receiving)
    {
        if (await Task.WhenAny(receiving, Task.Delay(CloseHandshakeTimeout)) != receiving)
        {
            socket.Abort();
        }
        await receiving;
    }

    /// <summary>The client's messages to the worker, within the window; the message size limit is enforced here.</summary>
    private async Task ReceiveFromClientAsync(WebSocket socket)
    {
        byte[]? buffer = null;
        long messageSize = 0;
        byte textFlag = 0;
        long limit = Policy.MaxWebSocketMessageSize;
        try
        {
            while (true)
            {
                if (messageSize == 0)
                {
                    // A message is never cut for the window: the worker holds at most the window and one message.
                    while (Interlocked.Read(ref _inFlightToWorker) >= FrameLimits.WebSocketWindow && _session == WebSocketState.Open)
                    {
                        await _windowSignal.WaitAsync();
                    }
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }
                    // An idle socket holds no buffer: wait for the next message with a zero-byte read.
                    ValueWebSocketReceiveResult peek = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                    if (peek.MessageType == WebSocketMessageType.Close)
                    {
                        ClientClosed(socket);
                        return;
                    }
                }
                buffer ??= ArrayPool<byte>.Shared.Rent(messageSize == 0 ? FirstReceiveSegment : ReceiveSegment);
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClientClosed(socket);
                    return;
                }
                if (messageSize == 0)
                {
                    textFlag = result.MessageType == WebSocketMessageType.Text ? FrameFlags.MessageText : (byte)0;
                }
                messageSize += result.Count;
                if (messageSize > limit)
                {
                    // RFC 6455 §7.4.1: 1009, a message too big to process. An unbounded message is daphne's CVE.
                    LogMessageTooBig(_channel.Name, Exchange.Describe(), limit);
                    CloseFromFront((ushort)WebSocketCloseStatus.MessageTooBig, "message too big");
                    return;
                }
                byte flags = (byte)(textFlag | (result.EndOfMessage ? 0 : FrameFlags.MessageMore));
                Interlocked.Add(ref _inFlightToWorker, result.Count);
                _channel.SendFrame(FrameType.WebSocketMessage, Id, flags, buffer.AsSpan(0, result.Count));
                if (result.EndOfMessage)
                {
                    messageSize = 0;
                }
                else if (buffer.Length < ReceiveSegment)
                {
                    ArrayPool<byte>.Shared.Return(buffer);   // a larger message: larger pieces from here on
                    buffer = null;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client vanished without a close frame (RFC 6455 §7.1.5: 1006), or sent invalid data, which the
            // WebSocket answered itself (1002, 1007).
            ushort code = socket.CloseStatus is { } status ? (ushort)status : (ushort)1006;
            TellWorkerClosed(code, socket.CloseStatusDescription ?? "");
            _signal.Set();
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private void ClientClosed(WebSocket socket)
    {
        // RFC 6455 §7.4.1: 1005 when the close frame had no code.
        ushort code = socket.CloseStatus is { } status ? (ushort)status : (ushort)1005;
        string reason = socket.CloseStatusDescription ?? "";
        lock (_lock)
        {
            _clientClose ??= new CloseRequest(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, reason);
        }
        TellWorkerClosed(code, reason);
        _signal.Set();
    }

    /// <summary>WS_DISCONNECT, once: the app's receive() says websocket.disconnect with this code.</summary>
    private void TellWorkerClosed(ushort code, string reason)
    {
        bool ended;
        lock (_lock)
        {
            ended = _ended;
        }
        if (ended || Interlocked.Exchange(ref _workerToldClosed, 1) != 0)
        {
            return;
        }
        int reasonLength = Encoding.UTF8.GetByteCount(reason);
        Span<byte> payload = stackalloc byte[2 + Math.Min(reasonLength, 123)];
        BinaryPrimitives.WriteUInt16LittleEndian(payload, code);
        if (reasonLength <= 123)
        {
            Encoding.UTF8.GetBytes(reason, payload[2..]);
        }
        _channel.SendFrame(FrameType.WebSocketDisconnect, Id, 0, payload);
        _windowSignal.Set();
    }

    private bool TryTakePiece(out OutgoingPiece piece)
    {
        lock (_lock)
        {
            return _outgoing.TryDequeue(out piece);
        }
    }

    private bool HasOutgoing()
    {
        lock (_lock)
        {
            return _outgoing.Count > 0;
        }
    }

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning, Message = "{Worker}: {Request}: a client message passed the {Limit}-byte limit (--ws-max-size); closed with 1009")]
    private partial void LogMessageTooBig(string worker, string request, long limit);

    private sealed record WebSocketAccept(string SubProtocol, List<KeyValuePair<string, string>> Headers, string? Error);

    private readonly record struct OutgoingPiece(byte[] Buffer, int Length, byte Flags)
    {
        public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);
    }

    private sealed record CloseRequest(WebSocketCloseStatus Status, string Reason)
    {
        /// <summary>A close payload: u16 code (little-endian, as every integer of the protocol), then UTF-8 reason.</summary>
        public static CloseRequest Read(ReadOnlySequence<byte> payload, WebSocketCloseStatus fallback)
        {
            if (payload.Length < 2)
            {
                return new CloseRequest(fallback, "");
            }
            byte[] bytes = payload.ToArray();
            var code = (WebSocketCloseStatus)BinaryPrimitives.ReadUInt16LittleEndian(bytes);
            // RFC 6455 §7.4: 1005, 1006 and 1015 must never be sent; codes below 1000 are not used.
            if ((int)code is < 1000 or 1005 or 1006 or 1015 or >= 5000)
            {
                code = fallback;
            }
            return new CloseRequest(code, Encoding.UTF8.GetString(bytes, 2, bytes.Length - 2));
        }
    }
}
