using System.Net.Sockets;
using PyHost.Protocol;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Channel;

// The send side: every frame goes through one queue, so frames from the receive loop (credit, pulled body), from
// requests (REQUEST, ABORT) and from the arbiter (RECALL) never interleave. The thread that finds the queue idle
// sends at once; nobody ever waits for a send.
public sealed partial class WorkerChannel
{
    private readonly Lock _sendLock = new();
    private readonly Queue<FrameBuffer> _sendQueue = new();
    private readonly Stack<FrameBuffer> _freeBuffers = new();
    private bool _sending;
    private bool _sendFailed;

    internal FrameBuffer RentFrameBuffer()
    {
        lock (_sendLock)
        {
            return _freeBuffers.TryPop(out FrameBuffer? buffer) ? buffer : new FrameBuffer();
        }
    }

    /// <summary>Queues frames for the worker; takes ownership of the buffer.</summary>
    internal void Send(FrameBuffer frames)
    {
        if (Enqueue(frames))
        {
            _ = DrainSendQueueAsync();
        }
    }

    /// <summary>Puts frames in the send queue; true when the caller must start the drain (nobody is sending).</summary>
    private bool Enqueue(FrameBuffer frames)
    {
        lock (_sendLock)
        {
            if (_sendFailed)
            {
                Recycle(frames);
                return false;
            }
            _sendQueue.Enqueue(frames);
            if (_sending)
            {
                return false;
            }
            _sending = true;
            return true;
        }
    }

    private void RecycleUnsent(FrameBuffer frames)
    {
        lock (_sendLock)
        {
            Recycle(frames);
        }
    }

    internal void SendFrame(FrameType type, uint requestId, byte flags, ReadOnlySpan<byte> payload)
    {
        FrameBuffer buffer = RentFrameBuffer();
        buffer.WriteFrame(type, requestId, flags, payload);
        Send(buffer);
    }

    // What the drain sends in one gathered write: under load, the REQUESTs and CREDITs of many requests queue while
    // one write is under way, and go to the worker as one sendmsg (one read and one turn of its loop) instead of one
    // system call each. Only the draining task touches these.
    private const int MaxGather = 64;
    private readonly List<FrameBuffer> _gathered = new();
    private readonly List<ArraySegment<byte>> _segments = new();

    private async Task DrainSendQueueAsync()
    {
        while (true)
        {
            lock (_sendLock)
            {
                while (_gathered.Count < MaxGather && _sendQueue.TryDequeue(out FrameBuffer? next))
                {
                    _gathered.Add(next);
                }
                if (_gathered.Count == 0)
                {
                    _sending = false;
                    return;
                }
            }
            try
            {
                if (_gathered.Count == 1 && _gathered[0].Tail.Count == 0)
                {
                    ReadOnlyMemory<byte> bytes = _gathered[0].WrittenMemory;
                    while (!bytes.IsEmpty)
                    {
                        int sent = await _socket.SendAsync(bytes, SocketFlags.None);
                        bytes = bytes[sent..];
                    }
                }
                else
                {
                    await SendGatheredAsync();
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
            {
                // The worker is gone; the receive loop sees its end and fails what was in flight.
                lock (_sendLock)
                {
                    _sendFailed = true;
                    _sending = false;
                    while (_sendQueue.TryDequeue(out FrameBuffer? dropped))
                    {
                        Recycle(dropped);
                    }
                }
                return;
            }
            finally
            {
                lock (_sendLock)
                {
                    foreach (FrameBuffer sent in _gathered)
                    {
                        Recycle(sent);
                    }
                }
                _gathered.Clear();
            }
        }
    }

    /// <summary>The gathered buffers in one sendmsg, and what a short write left in more.</summary>
    private async Task SendGatheredAsync()
    {
        _segments.Clear();
        long remaining = 0;
        foreach (FrameBuffer buffer in _gathered)
        {
            _segments.Add(buffer.WrittenSegment);
            remaining += buffer.WrittenCount;
            if (buffer.Tail.Count > 0)
            {
                _segments.Add(buffer.Tail);
                remaining += buffer.Tail.Count;
            }
        }
        while (true)
        {
            int sent = await _socket.SendAsync(_segments, SocketFlags.None);
            remaining -= sent;
            if (remaining <= 0)
            {
                return;
            }
            while (sent >= _segments[0].Count)
            {
                sent -= _segments[0].Count;
                _segments.RemoveAt(0);
            }
            _segments[0] = _segments[0][sent..];
        }
    }

    private void Recycle(FrameBuffer buffer)
    {
        if (_freeBuffers.Count < MaxGather)
        {
            buffer.Reset();
            _freeBuffers.Push(buffer);
        }
        else
        {
            buffer.Release();   // its array goes back to the pool, not to the garbage collector
        }
    }

    /// <summary>REQUEST, and with it the whole body when the front holds it in memory (at most
    /// <see cref="BufferLimits.RequestBodyMemory"/>), for one write: the worker reads it without a round trip.</summary>
    private FrameBuffer BuildRequestFrames(WorkerRequest request)
    {
        FrameBuffer frames = RentFrameBuffer();
        int payloadStart = frames.BeginFrame();
        RequestBody body = request.Body;
        long? bufferedLength = body.Mode == RequestBodyMode.Buffered ? body.Length : null;
        byte flags = body.Mode == RequestBodyMode.None ? FrameFlags.RequestNoBody : (byte)0;
        if (_asgi)
        {
            flags |= AsgiRequestFlags(request, frames, bufferedLength);
        }
        else
        {
            request.Exchange.WriteEnviron(frames, bufferedLength);
        }
        frames.FinishFrame(payloadStart, FrameType.Request, request.Id, flags);
        if (body.Mode == RequestBodyMode.Buffered && body.InMemory)
        {
            // The body goes out from the buffer it was read into, gathered after the REQUEST frame, not copied.
            (ArraySegment<byte> bytes, IDisposable lease) = body.LeaseMemory();
            new FrameHeader(bytes.Count, request.Id, FrameType.Body, FrameFlags.BodyEnd).WriteTo(frames.GetSpan(FrameHeader.Size));
            frames.Advance(FrameHeader.Size);
            frames.AttachTail(bytes, lease);
            request.BodySent = bytes.Count;
        }
        return frames;
    }

    /// <summary>
    /// Sends a small frame outside any request: FORK to a zygote. Synchronous and whole; a zygote's channel has no
    /// send queue traffic, so nothing interleaves.
    /// </summary>
    public void SendControlFrame(FrameType type, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(payload.Length, 0, type, 0).WriteTo(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        _socket.Send(frame);
    }
}
