using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Connections;

/// <summary>
/// --max-connections and --max-connections-per-client, for every listener together. A connection over a limit is
/// answered at once with a 503 page and Retry-After (RFC 9110 §15.6.4, §10.2.3) and closed, before any of its
/// request is parsed: answering costs less than the request would. The client address is the one the PROXY protocol
/// named; peers in --forwarded-allow-ips (proxies carrying many clients) and Unix-socket peers count only towards
/// the total.
/// </summary>
internal sealed partial class ConnectionLimits(HttpLimits limits, TrustedProxies trusted, ILogger logger)
{
    // After its 503 a refused connection reads what the client sent for at most this long, so that the close is a
    // FIN and not a reset that could destroy the answer on its way (RFC 9112 §9.6).
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger = logger;
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private readonly byte[] _refusal = RefusalResponse();
    private int _open;
    private int _refusedSinceLog;
    private long _nextLogAt;

    public bool IsActive => limits.MaxConnections > 0 || limits.MaxConnectionsPerClient > 0;

    public ConnectionDelegate Use(ConnectionDelegate next) => connection => OnConnectionAsync(connection, next);

    private async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        int open = Interlocked.Increment(ref _open);
        IPAddress? client = limits.MaxConnectionsPerClient > 0 ? CountedClient(connection.RemoteEndPoint) : null;
        try
        {
            int fromClient = client is null ? 0 : _perClient.AddOrUpdate(client, 1, (_, count) => count + 1);
            if (limits.MaxConnections > 0 && open > limits.MaxConnections)
            {
                await RefuseAsync(connection, $"--max-connections {limits.MaxConnections}");
                return;
            }
            if (client is not null && fromClient > limits.MaxConnectionsPerClient)
            {
                await RefuseAsync(connection, $"--max-connections-per-client {limits.MaxConnectionsPerClient} from {client}");
                return;
            }
            await next(connection);
        }
        finally
        {
            if (client is not null)
            {
                Release(client);
            }
            Interlocked.Decrement(ref _open);
        }
    }

    private IPAddress? CountedClient(EndPoint? remote)
    {
        if (remote is not IPEndPoint { Address: var address })
        {
            return null;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return trusted.Contains(address) ? null : address;
    }

    private void Release(IPAddress client)
    {
        while (_perClient.TryGetValue(client, out int count))
        {
            if (count <= 1 ? _perClient.TryRemove(new KeyValuePair<IPAddress, int>(client, count)) : _perClient.TryUpdate(client, count - 1, count))
            {
                return;
            }
        }
    }

    private async Task RefuseAsync(ConnectionContext connection, string limit)
    {
        Interlocked.Increment(ref _refusedSinceLog);
        long now = Stopwatch.GetTimestamp();
        long next = Interlocked.Read(ref _nextLogAt);
        if (now >= next && Interlocked.CompareExchange(ref _nextLogAt, now + (long)(LogInterval.TotalSeconds * Stopwatch.Frequency), next) == next)
        {
            LogRefused(Interlocked.Exchange(ref _refusedSinceLog, 0), limit, LogInterval.TotalSeconds);
        }
        try
        {
            await connection.Transport.Output.WriteAsync(_refusal);
            using var linger = new CancellationTokenSource(Linger);
            PipeReader input = connection.Transport.Input;
            while (true)
            {
                ReadResult read = await input.ReadAsync(linger.Token);
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or IOException or ConnectionResetException)
        {
        }
    }

    private static byte[] RefusalResponse()
    {
        byte[] page = ErrorPages.Render(503, "The server has too many open connections. Try again in a moment.");
        byte[] head = Encoding.ASCII.GetBytes(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\n" +
            $"Content-Length: {page.Length}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n");
        return [.. head, .. page];
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning,
        Message = "Refused {Count} connection(s) over {Limit} with 503 (at most one such line every {Seconds} s)")]
    private partial void LogRefused(int count, string limit, double seconds);
}
