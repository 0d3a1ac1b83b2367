using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PyHost.Configuration.Model;

namespace PyHost.Http.Proxy.Http1;

/// <summary>A kept-alive HTTP/1.1 connection to an upstream server, with the bytes read past the last response head.</summary>
public sealed class UpstreamConnection : IDisposable
{
    public const int BufferBytes = 16 * 1024;

    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);

    public UpstreamConnection(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(UpstreamConnection));

    /// <summary>Unread bytes are Buffer[Start..End).</summary>
    public int Start { get; set; }

    public int End { get; set; }

    public int Buffered => End - Start;

    /// <summary>The connection has carried a response before: the server may have closed it since.</summary>
    public bool Reused { get; set; }

    public long IdleSince { get; set; }

    /// <summary>Reads more bytes after the unread ones (moved to the front first); 0 at the server's end of stream.</summary>
    public async ValueTask<int> ReceiveAsync(CancellationToken cancel)
    {
        byte[] buffer = Buffer;
        if (Start > 0)
        {
            buffer.AsSpan(Start, Buffered).CopyTo(buffer);
            End -= Start;
            Start = 0;
        }
        if (End == buffer.Length)
        {
            throw new InvalidDataException($"the response head is longer than {buffer.Length / 1024} KiB");
        }
        int received = await Socket.ReceiveAsync(buffer.AsMemory(End), SocketFlags.None, cancel);
        End += received;
        return received;
    }

    public void Dispose()
    {
        Socket.Dispose();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// The kept-alive connections of one upstream server for <see cref="Http1Forwarder"/>: the most recently used first
/// (its socket and buffer are the warmest); one idle for longer than <see cref="IdleTimeout"/> is closed rather than
/// used, before a typical server's own keep-alive timeout can close it under a request (gunicorn's is 2 s).
/// </summary>
public sealed class UpstreamConnectionPool : IDisposable
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(1.5);

    private readonly UpstreamAddress _address;
    private readonly DnsEndPoint _endpoint;
    private readonly TimeSpan _connectTimeout;
    private readonly Stack<UpstreamConnection> _idle = new();
    private readonly Lock _idleLock = new();
    private readonly Timer _sweeper;
    private bool _disposed;

    public UpstreamConnectionPool(UpstreamAddress address, TimeSpan connectTimeout)
    {
        _address = address;
        _endpoint = new DnsEndPoint(address.Host, address.Port);
        _connectTimeout = connectTimeout;
        _sweeper = new Timer(_ => CloseExpired(), null, IdleTimeout, IdleTimeout);
    }

    public int IdleCount
    {
        get
        {
            lock (_idleLock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>A kept-alive connection, or a new one when none is (or <paramref name="fresh"/>). With
    /// <paramref name="checkOpen"/>, a kept one is first checked for the server's close (or stray bytes) that arrived
    /// while it was idle, at the cost of a poll(2): for a request that cannot be sent again if the connection fails.</summary>
    public async ValueTask<UpstreamConnection> RentAsync(bool fresh, bool checkOpen, CancellationToken cancel)
    {
        if (!fresh)
        {
            while (TryPop() is { } kept)
            {
                if (Stopwatch.GetElapsedTime(kept.IdleSince) < IdleTimeout && !(checkOpen && HasInput(kept.Socket)))
                {
                    return kept;
                }
                kept.Dispose();
            }
        }
        Socket socket = await UpstreamConnector.ConnectSocketAsync(_address, _endpoint, _connectTimeout, cancel);
        return new UpstreamConnection(socket);
    }

    /// <summary>An idle connection is readable only when the server closed it (end of stream), reset it, or sent
    /// bytes no request asked for: none of which it can be used after.</summary>
    private static bool HasInput(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead);
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public void Return(UpstreamConnection connection)
    {
        connection.Reused = true;
        connection.IdleSince = Stopwatch.GetTimestamp();
        lock (_idleLock)
        {
            if (!_disposed)
            {
                _idle.Push(connection);
                return;
            }
        }
        connection.Dispose();
    }

    private UpstreamConnection? TryPop()
    {
        lock (_idleLock)
        {
            return _idle.TryPop(out UpstreamConnection? connection) ? connection : null;
        }
    }

    private void CloseExpired()
    {
        List<UpstreamConnection>? expired = null;
        lock (_idleLock)
        {
            if (_idle.Count == 0 || _idle.All(c => Stopwatch.GetElapsedTime(c.IdleSince) < IdleTimeout))
            {
                return;
            }
            UpstreamConnection[] all = [.. _idle];   // most recent first
            _idle.Clear();
            for (int i = all.Length - 1; i >= 0; i--)
            {
                if (Stopwatch.GetElapsedTime(all[i].IdleSince) < IdleTimeout)
                {
                    _idle.Push(all[i]);
                }
                else
                {
                    (expired ??= []).Add(all[i]);
                }
            }
        }
        expired?.ForEach(c => c.Dispose());
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        UpstreamConnection[] left;
        lock (_idleLock)
        {
            _disposed = true;
            left = [.. _idle];
            _idle.Clear();
        }
        foreach (UpstreamConnection connection in left)
        {
            connection.Dispose();
        }
    }
}
