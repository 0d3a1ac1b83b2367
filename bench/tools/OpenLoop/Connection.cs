using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;

namespace OpenLoop;

/// <summary>One keep-alive connection carrying one request at a time: the send happens on the caller's thread (the
/// schedule's, so it leaves on time), the response is read asynchronously and handed back to the pool.</summary>
public sealed class Connection(Socket socket, ConnectionPool pool) : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly ResponseReader _response = new();
    private int _buffered;

    public ScheduledRequest? Current { get; private set; }

    /// <summary>It has answered a request: a failure before any byte of the next one means the server closed it while
    /// idle, and the request may be sent again on a new connection (RFC 9112 §9.3.1).</summary>
    public bool HasAnswered { get; private set; }

    public void Send(ScheduledRequest request)
    {
        Current = request;
        request.Sent = Stopwatch.GetTimestamp();
        try
        {
            socket.Send(request.Bytes);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            pool.Failed(this, request, Failure.Write, retry: HasAnswered && !request.Retried);
            return;
        }
        _ = ReceiveAsync(request);
    }

    private async Task ReceiveAsync(ScheduledRequest request)
    {
        _response.Reset();
        bool received = false;
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(_buffer.AsMemory(_buffered), SocketFlags.None);
                if (n == 0)
                {
                    if (_response.EndsAtClose)
                    {
                        pool.Completed(this, request, _response.Status, keepAlive: false);
                        return;
                    }
                    pool.Failed(this, request, request.TimedOut ? Failure.Timeout : Failure.Closed,
                                retry: !received && HasAnswered && !request.Retried);
                    return;
                }
                received = true;
                _buffered += n;
                if (Parse())
                {
                    HasAnswered = true;
                    // Bytes after the response were never asked for: the connection is not reused.
                    pool.Completed(this, request, _response.Status, _response.KeepAlive && _buffered == 0);
                    return;
                }
                if (_buffered == _buffer.Length)
                {
                    throw new InvalidDataException("a response head over the 64 KiB buffer");
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidDataException)
        {
            Failure failure = request.TimedOut ? Failure.Timeout
                : e is InvalidDataException ? Failure.Invalid
                : Failure.Read;
            bool closedWhileIdle = failure == Failure.Read && !received && HasAnswered && !request.Retried;
            pool.Failed(this, request, failure, retry: closedWhileIdle);
        }
    }

    /// <summary>Feeds the buffered bytes to the reader and keeps what it did not consume.</summary>
    private bool Parse()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_buffer, 0, _buffered));
        bool done = _response.TryRead(ref reader);
        int consumed = (int)reader.Consumed;
        Buffer.BlockCopy(_buffer, consumed, _buffer, 0, _buffered - consumed);
        _buffered -= consumed;
        return done;
    }

    public void Dispose() => socket.Dispose();
}

public enum Failure { Connect, Write, Read, Closed, Timeout, Invalid }
