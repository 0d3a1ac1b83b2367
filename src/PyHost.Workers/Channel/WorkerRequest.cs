using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Channel;

/// <summary>
/// One request on a channel. The receive loop feeds it the worker's frames (<c>On…</c> methods, never blocking);
/// its pump (<see cref="PumpAsync"/>, the dispatching task) hands the response to the listener at the client's pace.
/// Between them sits a <see cref="ResponseBuffer"/>: the worker is given credit as the front takes its bytes, so it
/// finishes at its own speed and is released at RESPONSE_END while a slow client is still reading. An ASGI request
/// may also become a WebSocket (WorkerRequest.WebSocket.cs) or end with a file or trailers (WorkerRequest.Asgi.cs).
/// </summary>
internal sealed partial class WorkerRequest
{
    private const int CreditBatch = FrameLimits.ResponseWindow / 2;

    private readonly WorkerChannel _channel;
    private readonly BufferBudget _buffers;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly AsyncSignal _signal = new();

    // Written by the receive loop, read by the pump under _lock.
    private ResponseBuffer? _buffer;
    private ResponseHead? _head;
    private bool _headTaken;
    private bool _ended;
    private DispatchOutcome? _failure;
    private long _drainCredit;        // bytes to credit once the client took them (unbuffered, or over budget)

    // Receive loop only.
    private bool _started;
    private bool _invalid;
    private bool _dropBody;
    private bool _truncated;
    private bool _unbuffered;
    private long _remaining = -1;     // bytes the app's Content-Length still allows; -1 when it declared none
    private long _creditOwed;
    private byte _endFlags;

    // Either side.
    private volatile bool _failed;    // Fail() ran: nobody takes the response any more (a cancelled ASGI request)
    private volatile bool _clientGone;
    private volatile bool _bodyFailed;
    private volatile bool _bodyTooLarge;
    private int _abortSent;

    public WorkerRequest(WorkerChannel channel, uint id, IWorkerExchange exchange, RequestBody body, DispatchPolicy policy,
        BufferBudget buffers, ILogger logger)
    {
        _channel = channel;
        Id = id;
        Exchange = exchange;
        Body = body;
        Policy = policy;
        _buffers = buffers;
        _logger = logger;
    }

    public uint Id { get; }

    public IWorkerExchange Exchange { get; }

    public RequestBody Body { get; }

    public DispatchPolicy Policy { get; }

    /// <summary>When it began to run (Stopwatch timestamp); 0 while it waits behind another in the worker.</summary>
    public long StartedAt { get; set; }

    /// <summary>A RECALL was sent for it (it waits behind a slow request; an idle worker can run it).</summary>
    public bool Recalled { get; set; }

    /// <summary>Body bytes sent to the worker so far.</summary>
    public long BodySent { get; set; }

    /// <summary>Set by the receive loop while this request is in its list of requests to wake.</summary>
    public bool Touched { get; set; }

    // ---- The receive loop's side.

    public void OnResponseStart(ReadOnlySequence<byte> payload)
    {
        if (_started || _invalid)
        {
            throw new ProtocolException("a second RESPONSE_START for one request");
        }
        var head = new ResponseHead();
        if (!ResponseHeadParser.TryParse(payload, head, out string? error))
        {
            _invalid = true;
            LogInvalidResponse(_channel.Name, Exchange.Describe(), error!);
            return;
        }
        _started = true;
        // nginx honours X-Accel-Buffering from the app and does not pass it on: a stream that must not wait in a
        // buffer (long polling) makes the worker keep pace with its client instead.
        _unbuffered = !Policy.ResponseBuffering | TakeAccelBuffering(head);
        // RFC 9110 §6.4.1: 204 and 304 carry no content, whatever the app yields.
        _dropBody = Exchange.IsHeadRequest || head.StatusCode is 204 or 304;
        _remaining = head.ContentLength ?? -1;
        if (_channel.IsAsgi)
        {
            _heldHead = head;   // committed by the frame that follows it (WorkerRequest.Asgi.cs)
            return;
        }
        PublishHead(head);
    }

    private void PublishHead(ResponseHead head)
    {
        lock (_lock)
        {
            _head = head;
        }
    }

    private static bool TakeAccelBuffering(ResponseHead head)
    {
        int index = head.Headers.FindIndex(h => h.Key.Equals("X-Accel-Buffering", StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            return false;
        }
        bool off = head.Headers[index].Value.Trim().Equals("no", StringComparison.OrdinalIgnoreCase);
        head.Headers.RemoveAt(index);
        return off;
    }

    public void OnResponseBody(ReadOnlySequence<byte> payload)
    {
        ReleaseHeldHead();
        long length = payload.Length;
        _received += length;
        if (!_started)
        {
            if (_invalid)
            {
                Credit(length);
                return;
            }
            throw new ProtocolException("RESPONSE_BODY before RESPONSE_START");
        }
        if (_dropBody || _clientGone || length == 0 || _failed)
        {
            Credit(length);
            return;
        }
        if (_remaining >= 0)
        {
            // The app declared a Content-Length: never send more than it (the rest would be read as the next
            // response on a keep-alive connection).
            if (length > _remaining)
            {
                if (!_truncated)
                {
                    _truncated = true;
                    LogBodyTruncated(_channel.Name, Exchange.Describe(), _head!.ContentLength ?? 0);
                }
                payload = payload.Slice(0, _remaining);
            }
            _remaining -= payload.Length;
        }
        bool fits;
        lock (_lock)
        {
            _buffer ??= new ResponseBuffer(_buffers);
            fits = _buffer.Append(payload);
            if (!fits || _unbuffered)
            {
                _drainCredit += payload.Length;
            }
        }
        // Bytes over the Content-Length were dropped: their credit is due now.
        long creditNow = length - payload.Length + (fits && !_unbuffered ? payload.Length : 0);
        Credit(creditNow);
    }

    /// <summary>Grants the worker more credit, in batches of half the window (a frame per 512 KiB at most).</summary>
    private void Credit(long bytes)
    {
        _creditOwed += bytes;
        if (_creditOwed >= CreditBatch)
        {
            SendCredit(_creditOwed);
            _creditOwed = 0;
        }
    }

    private void SendCredit(long bytes)
    {
        Interlocked.Add(ref _granted, bytes);
        Span<byte> amount = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(amount, (uint)bytes);
        _channel.SendFrame(FrameType.Credit, Id, 0, amount);
    }

    public void OnResponseEnd(byte flags)
    {
        ReleaseHeldHead();
        _endFlags = flags;
        lock (_lock)
        {
            _ended = true;
        }
    }

    /// <summary>The worker died, timed out or gave up the channel: the pump ends with this outcome.</summary>
    public void Fail(DispatchOutcome outcome)
    {
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }
            _ended = true;
            _failure = outcome;
        }
        _failed = true;
        _signal.Set();
    }

    /// <summary>Called by the receive loop once every frame of a read was handled.</summary>
    public void Wake()
    {
        Touched = false;
        _signal.Set();
    }

    public void OnBodyPull(ReadOnlySequence<byte> payload)
    {
        if (payload.Length != 4)
        {
            throw new ProtocolException("BODY_PULL payload is not 4 bytes");
        }
        Span<byte> lengthBytes = stackalloc byte[4];
        payload.CopyTo(lengthBytes);
        int wanted = (int)Math.Clamp(BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes), 1u, FrameLimits.MaxPullLength);
        if (_clientGone)
        {
            _channel.SendFrame(FrameType.Body, Id, FrameFlags.BodyAborted, []);
            return;
        }
        switch (Body.Mode)
        {
            case RequestBodyMode.Buffered:
                // At the worker's pace: the body is all here, in memory or a file.
                FrameBuffer frames = _channel.RentFrameBuffer();
                int payloadStart = frames.BeginFrame();
                int count = Body.Read(BodySent, frames.GetSpan(wanted)[..wanted]);
                frames.Advance(count);
                BodySent += count;
                frames.FinishFrame(payloadStart, FrameType.Body, Id, BodySent >= Body.Length ? FrameFlags.BodyEnd : (byte)0);
                _channel.Send(frames);
                break;
            case RequestBodyMode.Streamed:
                _ = PullFromClientAsync(wanted);
                break;
            default:
                _channel.SendFrame(FrameType.Body, Id, FrameFlags.BodyEnd, []);
                break;
        }
    }

    /// <summary>Request buffering off: the body comes from the client as the app reads it, off the receive loop.</summary>
    private async Task PullFromClientAsync(int wanted)
    {
        FrameBuffer frames = _channel.RentFrameBuffer();
        int payloadStart = frames.BeginFrame();
        byte flags = 0;
        Interlocked.Increment(ref _pullsInFlight);
        try
        {
            int read = await Exchange.ReadBodyAsync(frames, wanted);
            BodySent += read;
            if (read == 0)
            {
                flags = FrameFlags.BodyEnd;
            }
            else if (BodySent > Policy.MaxRequestBodySize)
            {
                _bodyTooLarge = true;
                flags = FrameFlags.BodyAborted;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The client went away or sent a malformed body; the app sees an OSError from wsgi.input.
            _bodyFailed = true;
            flags = FrameFlags.BodyAborted;
        }
        finally
        {
            Interlocked.Decrement(ref _pullsInFlight);
        }
        if (flags == FrameFlags.BodyAborted)
        {
            frames.Reset();
            payloadStart = frames.BeginFrame();
        }
        frames.FinishFrame(payloadStart, FrameType.Body, Id, flags);
        _channel.Send(frames);
    }

    /// <summary>The client went away: the worker is told (a waiting request is withdrawn, a running one stops at its
    /// next chunk), and what it still sends is dropped.</summary>
    public void OnClientAborted()
    {
        _clientGone = true;
        bool ended;
        lock (_lock)
        {
            ended = _ended;
        }
        if (!ended && Interlocked.Exchange(ref _abortSent, 1) == 0)
        {
            _channel.SendFrame(FrameType.Abort, Id, 0, []);
        }
        _signal.Set();
    }
}
