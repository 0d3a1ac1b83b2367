using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpenLoop;

/// <summary>
/// Gives each due request a free keep-alive connection, or opens a new one, so no request waits for another's
/// response on the client's side. Only at <c>maxConnections</c> does a request wait here (counted: it shows the
/// schedule was not kept). A server that closes after each response (gunicorn's sync worker) gets a new connection
/// per request, as its clients do.
/// </summary>
public sealed class ConnectionPool(IPEndPoint server, int maxConnections, LatencyRecorder recorder)
{
    private readonly Lock _gate = new();
    private readonly Stack<Connection> _idle = new();
    private readonly Queue<ScheduledRequest> _waiting = new();
    private readonly HashSet<Connection> _busy = [];
    private int _open;

    public int Outstanding { get; private set; }
    public int Opened { get; private set; }
    public int MostOpen { get; private set; }
    public int WaitedForConnection { get; private set; }
    public int Retried { get; private set; }

    public void Dispatch(ScheduledRequest request)
    {
        Connection? connection;
        lock (_gate)
        {
            Outstanding++;
            if (!_idle.TryPop(out connection))
            {
                if (_open >= maxConnections)
                {
                    _waiting.Enqueue(request);
                    WaitedForConnection++;
                    return;
                }
                _open++;
                MostOpen = Math.Max(MostOpen, _open);
            }
        }
        if (connection is null)
        {
            _ = OpenAsync(request);
        }
        else
        {
            Send(connection, request);
        }
    }

    private void Send(Connection connection, ScheduledRequest request)
    {
        lock (_gate)
        {
            _busy.Add(connection);
        }
        connection.Send(request);
    }

    private async Task OpenAsync(ScheduledRequest request)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server);
        }
        catch (SocketException)
        {
            socket.Dispose();
            recorder.Failed(request, Failure.Connect, Stopwatch.GetTimestamp());
            Release(null, keepAlive: false);
            return;
        }
        lock (_gate)
        {
            Opened++;
        }
        Send(new Connection(socket, this), request);
    }

    internal void Completed(Connection connection, ScheduledRequest request, int status, bool keepAlive)
    {
        recorder.Completed(request, status, Stopwatch.GetTimestamp());
        Release(connection, keepAlive);
    }

    internal void Failed(Connection connection, ScheduledRequest request, Failure failure, bool retry)
    {
        if (retry)
        {
            request.Retried = true;
            lock (_gate)
            {
                Retried++;
                Outstanding--; // Dispatch counts it again
                _busy.Remove(connection);
                _open--;
            }
            connection.Dispose();
            Dispatch(request);
            return;
        }
        recorder.Failed(request, failure, Stopwatch.GetTimestamp());
        Release(connection, keepAlive: false);
    }

    /// <summary>The connection's request ended: it serves the next waiting request, goes idle, or is closed.</summary>
    private void Release(Connection? connection, bool keepAlive)
    {
        ScheduledRequest? next;
        bool hasNext, openNew = false;
        lock (_gate)
        {
            Outstanding--;
            if (connection is not null)
            {
                _busy.Remove(connection);
            }
            hasNext = _waiting.TryDequeue(out next);
            if (!keepAlive || connection is null)
            {
                _open--;
                if (hasNext)
                {
                    _open++;
                    openNew = true;
                }
            }
            else if (!hasNext)
            {
                _idle.Push(connection);
            }
        }
        if (!keepAlive)
        {
            connection?.Dispose();
        }
        if (!hasNext)
        {
            return;
        }
        if (openNew)
        {
            _ = OpenAsync(next!);
        }
        else
        {
            Send(connection!, next!);
        }
    }

    /// <summary>Closes the connections whose request has waited longer than <paramref name="timeoutTicks"/>; their
    /// reads fail and count as timeouts.</summary>
    public void AbortOlderThan(long timeoutTicks, long now)
    {
        List<Connection> expired = [];
        lock (_gate)
        {
            foreach (Connection connection in _busy)
            {
                if (connection.Current is { TimedOut: false } request
                    && now - Math.Min(request.Due, request.Sent) > timeoutTicks)
                {
                    request.TimedOut = true;
                    expired.Add(connection);
                }
            }
        }
        foreach (Connection connection in expired)
        {
            connection.Dispose();
        }
    }

    /// <summary>At the end: counts what still waits or runs as timed out, and closes every connection.</summary>
    public void Close()
    {
        lock (_gate)
        {
            long now = Stopwatch.GetTimestamp();
            foreach (ScheduledRequest request in _waiting)
            {
                recorder.Failed(request, Failure.Timeout, now);
            }
            _waiting.Clear();
            foreach (Connection connection in _busy)
            {
                if (connection.Current is { TimedOut: false } request)
                {
                    request.TimedOut = true;
                    recorder.Failed(request, Failure.Timeout, now);
                }
            }
            recorder.Freeze(); // the reads failing below are not counted twice
            foreach (Connection connection in _idle.Concat(_busy))
            {
                connection.Dispose();
            }
            _idle.Clear();
        }
    }
}
