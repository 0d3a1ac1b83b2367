using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PyHost.Http.Listening;

/// <summary>
/// Kestrel's socket transport with two things added for a hand-over (SIGUSR2): PyHost can stop accepting on every
/// listener without closing a connection (Kestrel's own StopAsync does both at once), and it knows how many
/// connections are still open. While <see cref="Draining"/>, every HTTP/1.x response says "Connection: close", so a
/// keep-alive client is told to reconnect (to the successor) after the response it is reading, and never finds its
/// next request cut off.
/// </summary>
public sealed class AcceptControl : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly SocketTransportFactory _sockets;
    private readonly List<IConnectionListener> _listeners = new();
    private int _openConnections;
    private volatile bool _draining;

    public AcceptControl(IOptions<SocketTransportOptions> options, ILoggerFactory loggers)
    {
        _sockets = new SocketTransportFactory(options, loggers);
    }

    public int OpenConnections => Volatile.Read(ref _openConnections);

    public bool Draining => _draining;

    public bool CanBind(EndPoint endpoint) => _sockets.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        IConnectionListener listener = new CountingListener(await _sockets.BindAsync(endpoint, cancellationToken), this);
        lock (_listeners)
        {
            _listeners.Add(listener);
        }
        return listener;
    }

    /// <summary>Stops taking connections on every listener (the listening sockets stay open); open connections are served
    /// on, each closed after its next response.</summary>
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

    /// <summary>Waits until no connection is open, or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForConnectionsToCloseAsync(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (OpenConnections > 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(50);
        }
    }

    private sealed class CountingListener(IConnectionListener inner, AcceptControl owner) : IConnectionListener
    {
        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            ConnectionContext? connection = await inner.AcceptAsync(cancellationToken);
            if (connection is not null)
            {
                Interlocked.Increment(ref owner._openConnections);
                connection.ConnectionClosed.Register(() => Interlocked.Decrement(ref owner._openConnections));
            }
            return connection;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
