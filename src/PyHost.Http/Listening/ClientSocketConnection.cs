using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace PyHost.Http.Listening;

/// <summary>
/// One accepted client socket as Kestrel sees it: a receive loop that fills the connection's input pipe and a send loop
/// that drains its output pipe, as Kestrel's own socket transport has them, with one difference that matters for
/// bodies: the size of a read follows the data. Kestrel's transport reads into what is left of a 4 KiB pool block (2 to
/// 4 KiB per recv(2), each after a zero-byte read that waits for data), so a 1 MiB upload costs 500 to 1,000 system
/// calls and as many trips through the HTTP layer. Here a read that filled its buffer is followed at once by a larger
/// one (up to <see cref="LargeReadBytes"/>), without the wait; a short read means the client has paused, and the next
/// read waits for data before it takes a buffer, so an idle keep-alive connection holds none.
/// </summary>
internal sealed class ClientSocketConnection : DefaultConnectionContext, IConnectionSocketFeature, IMemoryPoolFeature
{
    /// <summary>A read after a full one asks for this much: large enough that an upload is a few dozen reads per MiB, small
    /// enough to come from the shared array pool.</summary>
    internal const int LargeReadBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _shutdownLock = new();
    private readonly int _smallReadBytes;
    private Task _running = Task.CompletedTask;
    private bool _shutDown;
    private volatile Exception? _shutdownReason;
    private GatheredSend? _send;

    private ClientSocketConnection(Socket socket, MemoryPool<byte> pool, Pipe input, Pipe output, ILogger log)
        : base(NewId(), new Duplex(input.Reader, output.Writer), new Duplex(output.Reader, input.Writer))
    {
        _socket = socket;
        _log = log;
        MemoryPool = pool;
        // As Kestrel's transport: at least half a pool block, so that a read is never a handful of bytes.
        _smallReadBytes = Math.Max(1, pool.MaxBufferSize / 2);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionClosed = _closed.Token;
        Features.Set<IConnectionSocketFeature>(this);
        Features.Set<IMemoryPoolFeature>(this);
    }

    public Socket Socket => _socket;

    /// <summary>How many reads with a buffer the receive loop made (the zero-byte waits not counted).</summary>
    internal long Reads { get; private set; }

    public MemoryPool<byte> MemoryPool { get; }

    private PipeWriter Input => Application!.Output;

    private PipeReader Output => Application!.Input;

    /// <summary>Wraps an accepted socket and starts its loops, with pipes of <paramref name="options"/>: made once per
    /// listener by <see cref="PipeOptionsFor"/> (a PipeOptions per pipe and connection would be 144 bytes more per open
    /// connection).</summary>
    public static ClientSocketConnection Start(Socket socket, (PipeOptions Input, PipeOptions Output) options, ILogger log)
    {
        var connection = new ClientSocketConnection(socket, options.Input.Pool, new Pipe(options.Input), new Pipe(options.Output), log);
        connection._running = connection.RunAsync();
        return connection;
    }

    /// <summary>The options of a connection's two pipes. Both run their continuations inline: with inline socket
    /// completions, a request goes from the socket to the worker channel on the thread that saw it arrive.</summary>
    public static (PipeOptions Input, PipeOptions Output) PipeOptionsFor(MemoryPool<byte> pool, long maxReadBufferBytes, long maxWriteBufferBytes) =>
        (new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, maxReadBufferBytes, maxReadBufferBytes / 2, useSynchronizationContext: false),
         new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, maxWriteBufferBytes, maxWriteBufferBytes / 2, useSynchronizationContext: false));

    private static long _lastId;

    // Kestrel's own ids are 13 base-32 characters of a counter; any unique string does.
    private static string NewId() => "c" + Interlocked.Increment(ref _lastId).ToString("x");

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Shutdown(abortReason);
        Output.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        Transport.Input.Complete();
        Transport.Output.Complete();
        await _running;
        _closed.Dispose();
    }

    private async Task RunAsync()
    {
        Task receiving = ReceiveLoopAsync();
        Task sending = SendLoopAsync();
        await receiving;
        await sending;
        // Closed only once both loops are done. Closing the socket under the receive loop's pending read would end that
        // read with an exception, and a throw costs a stack unwind (~4 µs per connection in the native build, 2.7 % of
        // the front's CPU with a new connection per request); shutdown(2) in Shutdown ends it as an end of stream.
        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            PipeWriter input = Input;
            bool full = false;
            while (true)
            {
                if (!full)
                {
                    // The client paused: wait for its next bytes without holding a buffer.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                }
                Memory<byte> buffer = input.GetMemory(full ? LargeReadBytes : _smallReadBytes);
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None);
                Reads++;
                if (received == 0)
                {
                    break;   // FIN
                }
                full = received == buffer.Length;
                input.Advance(received);
                FlushResult flushed = await input.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            error = new ConnectionResetException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            error = ex;   // the socket was closed under the read: Abort set the reason
        }
        catch (Exception ex)
        {
            error = ex;
            _log.LogError(ex, "Unexpected error in the receive loop of connection {ConnectionId}", ConnectionId);
        }
        Input.Complete(_shutdownReason ?? error);
        FireConnectionClosed();
    }

    private async Task SendLoopAsync()
    {
        Exception? shutdownReason = null;
        Exception? unexpected = null;
        PipeReader output = Output;
        try
        {
            while (true)
            {
                ReadResult result = await output.ReadAsync();
                if (result.IsCanceled)
                {
                    break;
                }
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await SendAsync(buffer);
                }
                output.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            shutdownReason = new ConnectionResetException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            shutdownReason = ex;
        }
        catch (Exception ex)
        {
            shutdownReason = ex;
            unexpected = ex;
            _log.LogError(ex, "Unexpected error in the send loop of connection {ConnectionId}", ConnectionId);
        }
        Shutdown(shutdownReason);
        output.Complete(unexpected);
        // A receive loop paused on a full input pipe must see the end too.
        Input.CancelPendingFlush();
    }

    private ValueTask SendAsync(ReadOnlySequence<byte> bytes) => (_send ??= new GatheredSend(_socket)).SendAsync(bytes);

    private void FireConnectionClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "Unexpected error in a callback of connection {ConnectionId}'s end", ConnectionId);
        }
    }

    private void Shutdown(Exception? reason)
    {
        lock (_shutdownLock)
        {
            if (_shutDown)
            {
                return;
            }
            _shutDown = true;
            _shutdownReason = reason ?? new ConnectionAbortedException("The connection's send loop completed.");
            try
            {
                // A FIN even on an abort, as Kestrel's transport does. Shutting the reading side too wakes a pending
                // read with an end of stream (RunAsync closes the socket after the loops).
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                _socket.Dispose();   // not connected any more: the close ends a pending read instead
            }
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
