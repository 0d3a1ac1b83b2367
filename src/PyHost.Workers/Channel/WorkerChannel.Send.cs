using System.Net.Sockets;
using PyHost.Protocol;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Channel;

// The send side: every frame goes through one queue, so frames from the receive loop (credit, pulled body), from
// requests (REQUEST, ABORT) and from the arbiter (RECALL) never interleave. The thread that finds the queue idle
// sends at once; nobody ever waits for a send.
public sealed partial class WorkerChannel
{
    private readonly object _sendLock = new();
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
        lock (_sendLock)
        {
            if (_sendFailed)
            {
                Recycle(frames);
                return;
            }
            _sendQueue.Enqueue(frames);
            if (_sending)
            {
                return;
            }
            _sending = true;
        }
        _ = DrainSendQueueAsync();
    }

    internal void SendFrame(FrameType type, uint requestId, byte flags, ReadOnlySpan<byte> payload)
    {
        FrameBuffer buffer = RentFrameBuffer();
        buffer.WriteFrame(type, requestId, flags, payload);
        Send(buffer);
    }

    private async Task DrainSendQueueAsync()
    {
        while (true)
        {
            FrameBuffer next;
            lock (_sendLock)
            {
                if (!_sendQueue.TryDequeue(out next!))
                {
                    _sending = false;
                    return;
                }
            }
            try
            {
                ReadOnlyMemory<byte> bytes = next.WrittenMemory;
                while (!bytes.IsEmpty)
                {
                    int sent = await _socket.SendAsync(bytes, SocketFlags.None);
                    bytes = bytes[sent..];
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
                    Recycle(next);
                }
            }
        }
    }

    private void Recycle(FrameBuffer buffer)
    {
        buffer.Reset();
        if (_freeBuffers.Count < 8)
        {
            _freeBuffers.Push(buffer);
        }
    }

    /// <summary>REQUEST, and with it the whole body when the front holds it in memory (at most
    /// <see cref="BufferLimits.RequestBodyMemory"/>), in one write: the worker reads it without a round trip.</summary>
    private void SendRequest(WorkerRequest request)
    {
        FrameBuffer frames = RentFrameBuffer();
        int payloadStart = frames.BeginFrame();
        RequestBody body = request.Body;
        request.Exchange.WriteEnviron(frames, body.Mode == RequestBodyMode.Buffered ? body.Length : null);
        byte flags = body.Mode == RequestBodyMode.None ? FrameFlags.RequestNoBody : (byte)0;
        frames.FinishFrame(payloadStart, FrameType.Request, request.Id, flags);
        if (body.Mode == RequestBodyMode.Buffered && body.InMemory)
        {
            payloadStart = frames.BeginFrame();
            int length = (int)body.Length;
            body.Read(0, frames.GetSpan(length)[..length]);
            frames.Advance(length);
            frames.FinishFrame(payloadStart, FrameType.Body, request.Id, FrameFlags.BodyEnd);
            request.BodySent = length;
        }
        Send(frames);
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
