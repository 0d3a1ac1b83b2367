using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Workers.Channel;

// The receive side: the handshake's control frames, then one loop that routes every frame to its request.
public sealed partial class WorkerChannel
{
    // Requests that got frames in the current read; their pumps are woken once the whole read is handled, so a
    // response that arrived in one read (start, body, end) goes to the client in one write.
    private readonly List<WorkerRequest> _touched = new();

    // A slot freed by a request given back unstarted is offered only after that request went back to the pool, so
    // that it runs again ahead of requests that came after it.
    private bool _offerSlotAfterWake;

    /// <summary>Reads one frame outside any request (HELLO, READY, BOOT_FAILED; a zygote's CHILD_EXITED), copying
    /// its payload; null at end of file. Only before <see cref="StartServing"/>.</summary>
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

    // The front runs socket completions inline on the runtime's few epoll threads (Program.cs, HttpListenerHost), and
    // a read that finds data completes at once: a loop whose worker always has the next response ready (pipelining,
    // a busy ASGI worker) would keep its epoll thread for good, and every client socket polled by that thread would
    // wait: up to 80 ms at a time, measured at saturation, where hello's p99 was 20–50 ms instead of 5–7. After a turn
    // this long on a thread that is not the pool's (an epoll thread) the loop goes on from the thread pool, and the
    // epoll thread serves the sockets waiting behind it. Once on the pool it stays there until a read waits: the pool
    // has threads to spare, and moving again each turn cost ~7 % CPU per request at saturation.
    private static readonly long ReceiveTurn = Stopwatch.Frequency / 1000;

    private async Task ReceiveLoopAsync()
    {
        try
        {
            long turnStartedAt = Stopwatch.GetTimestamp();
            while (true)
            {
                ValueTask<ReadResult> read = _input.ReadAsync();
                bool waits = !read.IsCompleted;
                if (!waits && Stopwatch.GetTimestamp() - turnStartedAt > ReceiveTurn && !Thread.CurrentThread.IsThreadPoolThread)
                {
                    await Task.Yield();   // to the thread pool's global queue, behind what waited there
                }
                ReadResult result = await read;
                if (waits)
                {
                    turnStartedAt = Stopwatch.GetTimestamp();   // a new turn, on the thread the read completed on
                }
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (FrameReader.TryRead(ref buffer, out FrameHeader header, out ReadOnlySequence<byte> payload))
                    {
                        HandleFrame(header, payload);
                    }
                }
                finally
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }
                WakeTouched();
                if (result.IsCompleted || result.IsCanceled)
                {
                    if (!_broken && !_exited && Outstanding > 0)
                    {
                        LogWorkerClosedChannel(Name);
                    }
                    break;
                }
            }
        }
        catch (ProtocolException ex)
        {
            LogProtocolError(Name, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The worker died, or the channel was disposed under the read.
        }
        WakeTouched();
        FailAll(_timedOut ? DispatchOutcome.Timeout : DispatchOutcome.WorkerDied);
    }

    private void WakeTouched()
    {
        foreach (WorkerRequest request in _touched)
        {
            request.Wake();
        }
        _touched.Clear();
        if (_offerSlotAfterWake)
        {
            _offerSlotAfterWake = false;
            SlotFreed?.Invoke(this);
        }
    }

    private void HandleFrame(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        switch (header.Type)
        {
            case FrameType.Pong:
                return;
            case FrameType.Retiring:
                _retireRequested = true;
                RetireAnnounced?.Invoke(this, Encoding.UTF8.GetString(payload));
                TrySignalRetired();
                return;
            case FrameType.Log:
                OnLog(header.Flags, payload);
                return;
            case FrameType.ResponseStart or FrameType.ResponseBody or FrameType.ResponseEnd or FrameType.BodyPull:
                break;
            case FrameType.WebSocketAccept or FrameType.WebSocketSend or FrameType.WebSocketClose or FrameType.WebSocketCredit
                or FrameType.ResponseTrailers or FrameType.ResponseFile when _asgi:
                break;
            default:
                throw new ProtocolException($"unexpected {header.Type} frame from a serving worker");
        }

        WorkerRequest? request;
        lock (_lock)
        {
            _requests.TryGetValue(header.RequestId, out request);
        }
        if (request is null)
        {
            throw new ProtocolException($"{header.Type} frame for request {header.RequestId}, which is not in flight");
        }
        if (_asgi)
        {
            request.LastProgress = Stopwatch.GetTimestamp();
        }
        switch (header.Type)
        {
            case FrameType.ResponseStart:
                request.OnResponseStart(payload);
                Touch(request);
                break;
            case FrameType.ResponseBody:
                request.OnResponseBody(payload);
                Touch(request);
                break;
            case FrameType.BodyPull:
                request.OnBodyPull(payload);
                break;
            case FrameType.ResponseEnd:
                bool notStarted = (header.Flags & FrameFlags.NotStarted) != 0;
                Remove(request, served: !notStarted);
                // The freed slot goes to a waiting request first, then this one's response goes out.
                if (notStarted)
                {
                    _offerSlotAfterWake = true;
                }
                else
                {
                    SlotFreed?.Invoke(this);
                }
                request.OnResponseEnd(header.Flags);
                Touch(request);
                TrySignalRetired();
                break;
            default:
                HandleAsgiFrame(request, header, payload);
                break;
        }
    }

    /// <summary>The frames only an ASGI worker sends: WebSocket handshake and messages, trailers, pathsend.</summary>
    private void HandleAsgiFrame(WorkerRequest request, FrameHeader header, ReadOnlySequence<byte> payload)
    {
        switch (header.Type)
        {
            case FrameType.WebSocketAccept:
                request.OnWebSocketAccept(payload);
                Touch(request);
                break;
            case FrameType.WebSocketSend:
                request.OnWebSocketSend(header.Flags, payload);
                Touch(request);
                break;
            case FrameType.WebSocketClose:
                request.OnWebSocketClose(payload);
                Touch(request);
                break;
            case FrameType.WebSocketCredit:
                request.OnWebSocketCredit(payload);
                break;
            case FrameType.ResponseTrailers:
                request.OnResponseTrailers(payload);
                break;
            case FrameType.ResponseFile:
                request.OnResponseFile(payload, AllowsPathSend);
                Touch(request);
                break;
        }
    }

    private void Touch(WorkerRequest request)
    {
        if (!request.Touched)
        {
            request.Touched = true;
            _touched.Add(request);
        }
    }
}
