using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PyHost.Http.Listening;

/// <summary>
/// The transport of one listener's Kestrel: it accepts on the <see cref="FrontListener"/>'s own socket object and hands
/// each connection to Kestrel as a <see cref="ClientSocketConnection"/>. Sharing the socket object, not a descriptor,
/// is what lets a reload run two Kestrels on one socket for a moment (the new one accepting before the old one stops):
/// epoll registers a descriptor once, so a second Socket on the same descriptor fails (EEXIST), and a closed dup leaves
/// a stale registration behind. It also adds what a hand-over (SIGUSR2) needs: PyHost can stop accepting without
/// closing a connection (Kestrel's own StopAsync does both at once), and it knows how many connections are still open.
/// While <see cref="Draining"/>, every HTTP/1.x response says "Connection: close", so a keep-alive client is told to
/// reconnect (to the successor) after the response it is reading, and never finds its next request cut off.
/// </summary>
public sealed class AcceptControl : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly Socket _socket;
    private readonly SocketTransportOptions _options;
    private readonly ILogger _log;
    private readonly List<IConnectionListener> _listeners = new();
    private int _openConnections;
    private volatile bool _draining;

    private readonly MemoryPool<byte> _pool;
    private readonly (PipeOptions Input, PipeOptions Output) _pipeOptions;   // every connection's pipes share them

    public AcceptControl(Socket socket, IOptions<SocketTransportOptions> options, ILoggerFactory loggers, IMemoryPoolFactory<byte> pools)
    {
        _socket = socket;
        _options = options.Value;
        _log = loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets");
        // Kestrel's own pool (4 KiB blocks) for the connections' pipes and its HTTP layer, as its socket transport has it.
        _pool = pools.Create(new MemoryPoolOptions());
        _pipeOptions = ClientSocketConnection.PipeOptionsFor(_pool, _options.MaxReadBufferSize ?? 0, _options.MaxWriteBufferSize ?? 0);
    }

    public int OpenConnections => Volatile.Read(ref _openConnections);

    public bool Draining => _draining;

    public bool CanBind(EndPoint endpoint) => endpoint is FileHandleEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        // The socket listens already, with this backlog: ServerHost calls ListenerSet.Listen before it starts Kestrel
        // on it, at start and on a reload, so that a port taken meanwhile is one line, not a stack trace.
        IConnectionListener listener = new SharedSocketListener(_socket, _options.NoDelay, this);
        lock (_listeners)
        {
            _listeners.Add(listener);
        }
        return ValueTask.FromResult(listener);
    }

    /// <summary>Stops taking connections (the listening socket stays open); open connections are served on, each closed
    /// after its next response.</summary>
    public async Task StopAcceptingAsync()
    {
        _draining = true;
        List<IConnectionListener> listeners;
        lock (_listeners)
        {
            listeners = _listeners.ToList();
        }
        foreach (IConnectionListener listener in listeners)
        {
            await listener.UnbindAsync();
        }
    }

    /// <summary>With the listener's Kestrel (its DI container disposes it): the HTTP layer's buffers.</summary>
    public void Dispose() => _pool.Dispose();

    /// <summary>Waits until no connection is open, or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForConnectionsToCloseAsync(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (OpenConnections > 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(50);
        }
    }

    /// <summary>Kestrel's view of the shared socket: unbinding or disposing it stops this Kestrel's accepts only; the
    /// socket stays open for the other Kestrel and for a binary upgrade's successor.</summary>
    private sealed class SharedSocketListener(Socket socket, bool noDelay, AcceptControl owner) : IConnectionListener
    {
        private readonly CancellationTokenSource _unbound = new();

        public EndPoint EndPoint => socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbound.Token);
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await socket.AcceptAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return null;   // unbound: a connection not yet accepted stays queued for whoever accepts next
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    continue;      // the client gave up while queued, as Kestrel's own transport skips it
                }
                catch (ObjectDisposedException)
                {
                    return null;
                }
                if (noDelay && accepted.LocalEndPoint is IPEndPoint)
                {
                    accepted.NoDelay = true;
                }
                ConnectionContext connection = ClientSocketConnection.Start(accepted, owner._pipeOptions, owner._log);
                Interlocked.Increment(ref owner._openConnections);
                connection.ConnectionClosed.Register(() => Interlocked.Decrement(ref owner._openConnections));
                return connection;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _unbound.Cancel();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _unbound.Cancel();
            _unbound.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
