using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Workers.Channel;

/// <summary>
/// The persistent connection to one worker (docs/protocol.md). A WSGI worker runs one request at a time on a channel,
/// so the request's own task is the receive loop: it reads frames until RESPONSE_END with no hand-off between tasks.
/// A worker that runs requests concurrently will open one channel per request slot.
/// </summary>
public sealed partial class WorkerChannel : IAsyncDisposable
{
    /// <summary>Bodies up to this size travel with the request; larger ones are pulled in pieces of this size.</summary>
    public const int EagerBodyLimit = 64 * 1024;

    private const int MaxPullLength = 256 * 1024;

    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly ArrayBufferWriter<byte> _output = new(8 * 1024);
    private readonly ResponseHead _head = new();
    private readonly ILogger _logger;
    private uint _lastRequestId;
    private long _requestStartedAt;          // Environment.TickCount64 while a request runs, else 0
    private IWorkerExchange? _current;
    private volatile bool _timedOut;
    private volatile bool _broken;
    private volatile bool _retireRequested;
    private int _state;                      // ChannelState, changed only by Interlocked
    private long _idleSince = Environment.TickCount64;
    private long _requestsServed;

    public WorkerChannel(Socket socket, string workerName, ILogger logger)
    {
        _socket = socket;
        _input = PipeReader.Create(new NetworkStream(socket, ownsSocket: true), new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        WorkerName = workerName;
        _logger = logger;
    }

    /// <summary>"worker 3 (pid 1234)", for log lines.</summary>
    public string WorkerName { get; set; }

    /// <summary>False once the worker died, broke the protocol or timed out: the pool must not hand it work.</summary>
    public bool IsUsable => !_broken;

    /// <summary>Told once, when a retiring channel has no request left: it may be closed now.</summary>
    public Action<WorkerChannel>? Retired { get; set; }

    /// <summary>Requests this channel finished, for --max-requests.</summary>
    public long RequestsServed => Interlocked.Read(ref _requestsServed);

    /// <summary>Since when (TickCount64) the channel has been idle; null while it runs a request.</summary>
    public long? IdleSince => Volatile.Read(ref _state) == (int)ChannelState.Busy ? null : Volatile.Read(ref _idleSince);

    /// <summary>
    /// Takes the channel for one request; false if it was retired or broke while it sat in the idle queue.
    /// Channel states move Idle → Busy → Idle, and to Retired from either once a retire was asked for.
    /// </summary>
    public bool TryBeginRequest() =>
        !_broken && Interlocked.CompareExchange(ref _state, (int)ChannelState.Busy, (int)ChannelState.Idle) == (int)ChannelState.Idle;

    /// <summary>Ends a request; true when the channel goes back to the idle queue.</summary>
    public bool EndRequest()
    {
        Interlocked.Increment(ref _requestsServed);
        Volatile.Write(ref _idleSince, Environment.TickCount64);
        Volatile.Write(ref _state, (int)ChannelState.Idle);
        // A retire asked for while the request ran: this end is the moment it can happen.
        if (_retireRequested || _broken)
        {
            TryRetireIdle();
            return false;
        }
        return true;
    }

    /// <summary>
    /// Stops handing this channel new requests; <see cref="Retired"/> is told once its current request (if any)
    /// is done. New work goes to other workers meanwhile: a retire never fails a request.
    /// </summary>
    public void RequestRetire()
    {
        _retireRequested = true;
        TryRetireIdle();
    }

    private void TryRetireIdle()
    {
        if (Interlocked.CompareExchange(ref _state, (int)ChannelState.Retired, (int)ChannelState.Idle) == (int)ChannelState.Idle)
        {
            Retired?.Invoke(this);
        }
    }

    private enum ChannelState
    {
        Idle,
        Busy,
        Retired,
    }

    /// <summary>How long the current request has run, or null when idle. Read by the arbiter's timeout check.</summary>
    public TimeSpan? CurrentRequestAge
    {
        get
        {
            long started = Volatile.Read(ref _requestStartedAt);
            return started == 0 ? null : TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
        }
    }

    /// <summary>The current request as "GET /path", or null when idle.</summary>
    public string? DescribeCurrentRequest() => _current?.Describe();

    /// <summary>
    /// Gives up on the current request: its dispatch returns <see cref="DispatchOutcome.Timeout"/> now, and the
    /// channel is never used again (the arbiter kills the worker).
    /// </summary>
    public void AbandonForTimeout()
    {
        _timedOut = true;
        _broken = true;
        _input.CancelPendingRead();
    }

    /// <summary>Marks the channel dead, for a worker whose process exited.</summary>
    public void MarkBroken() => _broken = true;

    /// <summary>
    /// Sends a small frame outside any request: FORK to a zygote. Synchronous and whole, so sends from the
    /// arbiter's loop never interleave.
    /// </summary>
    public void SendControlFrame(FrameType type, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(payload.Length, 0, type, 0).WriteTo(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        _socket.Send(frame);
    }

    /// <summary>Reads one frame outside any request (HELLO, READY, BOOT_FAILED; a zygote's CHILD_EXITED), copying
    /// its payload; null at end of file.</summary>
    public async ValueTask<(FrameHeader Header, byte[] Payload)?> ReadControlFrameAsync(CancellationToken cancellation)
    {
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellation);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (FrameReader.TryRead(ref buffer, out FrameHeader header, out ReadOnlySequence<byte> payload))
            {
                byte[] copy = payload.ToArray();
                _input.AdvanceTo(buffer.Start);
                return (header, copy);
            }
            if (result.IsCompleted)
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Runs one request on this worker: sends it, then forwards the response frames to the exchange.</summary>
    public async ValueTask<DispatchOutcome> RunAsync(IWorkerExchange exchange)
    {
        uint requestId = ++_lastRequestId;
        _current = exchange;
        Volatile.Write(ref _requestStartedAt, Environment.TickCount64);
        try
        {
            await SendRequestAsync(exchange, requestId);
            return await ForwardResponseAsync(exchange, requestId);
        }
        catch (ProtocolException ex)
        {
            _broken = true;
            LogProtocolError(WorkerName, exchange.Describe(), ex.Message);
            return DispatchOutcome.WorkerDied;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException
                                   || (ex is InvalidOperationException && _broken))
        {
            // The last case: the worker died and its channel's reader was completed under this request.
            _broken = true;
            return _timedOut ? DispatchOutcome.Timeout : DispatchOutcome.WorkerDied;
        }
        finally
        {
            Volatile.Write(ref _requestStartedAt, 0);
            _current = null;
        }
    }

    private async ValueTask SendRequestAsync(IWorkerExchange exchange, uint requestId)
    {
        _output.ResetWrittenCount();
        int payloadStart = FrameWriter.BeginFrame(_output);
        exchange.WriteEnviron(_output);
        FrameWriter.FinishFrame(_output, payloadStart, FrameType.Request, requestId, 0);

        switch (exchange.BodyKind)
        {
            case RequestBodyKind.None:
                FrameWriter.Write(_output, FrameType.Body, requestId, FrameFlags.BodyEnd, []);
                break;
            case RequestBodyKind.Small:
                payloadStart = FrameWriter.BeginFrame(_output);
                byte flags = FrameFlags.BodyEnd;
                try
                {
                    while (_output.WrittenCount - payloadStart < EagerBodyLimit
                           && await exchange.ReadBodyAsync(_output, EagerBodyLimit - (_output.WrittenCount - payloadStart)) > 0)
                    {
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    flags = FrameFlags.BodyAborted;
                }
                FrameWriter.FinishFrame(_output, payloadStart, FrameType.Body, requestId, flags);
                break;
        }
        await SendAsync();
    }

    private async ValueTask<DispatchOutcome> ForwardResponseAsync(IWorkerExchange exchange, uint requestId)
    {
        var state = new ResponseState();
        while (true)
        {
            ReadResult result = await _input.ReadAsync();
            if (result.IsCanceled || _timedOut)
            {
                return DispatchOutcome.Timeout;
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool ended = false;
            try
            {
                while (!ended && FrameReader.TryRead(ref buffer, out FrameHeader header, out ReadOnlySequence<byte> payload))
                {
                    if (header.RequestId != requestId)
                    {
                        throw new ProtocolException($"{header.Type} frame for request {header.RequestId} while {requestId} runs");
                    }
                    ended = await HandleFrameAsync(exchange, header, payload, state);
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (ended)
            {
                DispatchOutcome outcome = state.Outcome();
                if (outcome == DispatchOutcome.IncompleteBody)
                {
                    LogBodyIncomplete(WorkerName, exchange.Describe(), _head.ContentLength ?? 0, state.Remaining);
                }
                else if (outcome == DispatchOutcome.InvalidResponse && !state.Invalid)
                {
                    LogInvalidResponse(WorkerName, exchange.Describe(), "the response ended before start_response was called");
                }
                return outcome;
            }
            // Everything that arrived together is buffered; send it before waiting on the worker again.
            if (state.Unflushed)
            {
                state.Unflushed = false;
                if (!state.ClientGone && !await exchange.FlushAsync())
                {
                    await ClientWentAwayAsync(requestId, state);
                }
            }
            if (result.IsCompleted)
            {
                _broken = true;
                LogWorkerClosedChannel(WorkerName, exchange.Describe());
                return _timedOut ? DispatchOutcome.Timeout : DispatchOutcome.WorkerDied;
            }
        }
    }

    /// <summary>Handles one response frame; true at RESPONSE_END.</summary>
    private async ValueTask<bool> HandleFrameAsync(IWorkerExchange exchange, FrameHeader header, ReadOnlySequence<byte> payload, ResponseState state)
    {
        switch (header.Type)
        {
            case FrameType.ResponseStart:
                if (state.Started || state.Invalid)
                {
                    throw new ProtocolException("a second RESPONSE_START for one request");
                }
                if (!ResponseHeadParser.TryParse(payload, _head, out string? error))
                {
                    state.Invalid = true;
                    LogInvalidResponse(WorkerName, exchange.Describe(), error!);
                    return false;
                }
                state.Started = true;
                // RFC 9110 §6.4.1: 204 and 304 carry no content, whatever the app yields.
                state.DropBody = exchange.IsHeadRequest || _head.StatusCode is 204 or 304;
                state.Remaining = _head.ContentLength ?? -1;
                exchange.StartResponse(_head);
                return false;

            case FrameType.ResponseBody:
                if (!state.Started)
                {
                    if (state.Invalid)
                    {
                        return false;
                    }
                    throw new ProtocolException("RESPONSE_BODY before RESPONSE_START");
                }
                ForwardBody(exchange, payload, state);
                return false;

            case FrameType.BodyPull:
                await AnswerPullAsync(exchange, header, payload, state);
                return false;

            case FrameType.ResponseEnd:
                state.AppError = (header.Flags & FrameFlags.AppError) != 0;
                return true;

            case FrameType.Pong:
                return false;

            default:
                throw new ProtocolException($"unexpected {header.Type} frame during a request");
        }
    }

    private void ForwardBody(IWorkerExchange exchange, ReadOnlySequence<byte> payload, ResponseState state)
    {
        if (state.DropBody || state.ClientGone || payload.IsEmpty)
        {
            return;
        }
        if (state.Remaining >= 0)
        {
            // The app declared a Content-Length: never send more than it (the rest would be read as the next
            // response on a keep-alive connection).
            if (payload.Length > state.Remaining)
            {
                if (!state.Truncated)
                {
                    state.Truncated = true;
                    LogBodyTruncated(WorkerName, exchange.Describe(), _head.ContentLength ?? 0);
                }
                payload = payload.Slice(0, state.Remaining);
            }
            state.Remaining -= payload.Length;
            if (payload.IsEmpty)
            {
                return;
            }
        }
        exchange.WriteBody(payload);
        state.Unflushed = true;
    }

    private async ValueTask AnswerPullAsync(IWorkerExchange exchange, FrameHeader header, ReadOnlySequence<byte> payload, ResponseState state)
    {
        if (payload.Length != 4)
        {
            throw new ProtocolException("BODY_PULL payload is not 4 bytes");
        }
        Span<byte> lengthBytes = stackalloc byte[4];
        payload.CopyTo(lengthBytes);
        int wanted = (int)Math.Clamp(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes), 1u, MaxPullLength);

        _output.ResetWrittenCount();
        int payloadStart = FrameWriter.BeginFrame(_output);
        byte flags = 0;
        if (state.ClientGone)
        {
            flags = FrameFlags.BodyAborted;
        }
        else
        {
            try
            {
                if (await exchange.ReadBodyAsync(_output, wanted) == 0)
                {
                    flags = FrameFlags.BodyEnd;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The client went away or sent a malformed body; the app sees an OSError from wsgi.input.
                flags = FrameFlags.BodyAborted;
                state.BodyFailed = true;
            }
        }
        FrameWriter.FinishFrame(_output, payloadStart, FrameType.Body, header.RequestId, flags);
        await SendAsync();
    }

    private async ValueTask ClientWentAwayAsync(uint requestId, ResponseState state)
    {
        state.ClientGone = true;
        _output.ResetWrittenCount();
        FrameWriter.Write(_output, FrameType.Abort, requestId, 0, []);
        await SendAsync();
    }

    private async ValueTask SendAsync()
    {
        ReadOnlyMemory<byte> bytes = _output.WrittenMemory;
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    public async ValueTask DisposeAsync()
    {
        _broken = true;
        await _input.CompleteAsync();
        _socket.Dispose();
    }

    /// <summary>What one request's response frames have shown so far.</summary>
    private sealed class ResponseState
    {
        public bool Started;
        public bool Invalid;
        public bool DropBody;
        public bool Unflushed;
        public bool ClientGone;
        public bool Truncated;
        public bool AppError;
        public bool BodyFailed;
        public long Remaining = -1;   // bytes still allowed by the app's Content-Length; -1 when it declared none

        public DispatchOutcome Outcome()
        {
            if (ClientGone) return DispatchOutcome.ClientGone;
            if (BodyFailed && !Started) return DispatchOutcome.RequestBodyFailed;
            if (Invalid || !Started) return DispatchOutcome.InvalidResponse;
            if (AppError) return DispatchOutcome.AppErrorAfterStart;
            if (Remaining > 0 && !DropBody) return DispatchOutcome.IncompleteBody;
            return DispatchOutcome.Completed;
        }
    }
}
