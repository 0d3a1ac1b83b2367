using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using PyHost.Http.Forwarding;
using PyHost.Protocol;
using PyHost.Protocol.ProxyProtocol;

namespace PyHost.Http.Connections;

/// <summary>
/// On a listener behind HAProxy (send-proxy, send-proxy-v2), an AWS NLB or nginx's proxy_protocol: reads the PROXY
/// header before HTTP and makes its source the connection's remote endpoint, so the access log, the environ and the
/// per-client limit see the real client. The header is required (a listener that only sometimes expects it would
/// let any client name itself) and believed only from a peer in --forwarded-allow-ips; otherwise the connection is
/// closed and the peer logged.
/// </summary>
internal sealed partial class ProxyProtocolMiddleware(TrustedProxies trusted, TimeSpan timeout, ILogger logger)
{
    private readonly ILogger _logger = logger;

    public ConnectionDelegate Use(ConnectionDelegate next) => connection => OnConnectionAsync(connection, next);

    private async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        EndPoint? peer = connection.RemoteEndPoint;
        if (!trusted.TrustsPeer((peer as IPEndPoint)?.Address))
        {
            LogUntrustedPeer(Describe(peer), trusted.Text);
            return;
        }
        ProxyHeader? header;
        try
        {
            header = await ReadHeaderAsync(connection.Transport.Input);
        }
        catch (ProtocolException error)
        {
            LogMalformed(Describe(peer), error.Message);
            return;
        }
        catch (OperationCanceledException)
        {
            LogMalformed(Describe(peer), $"no complete header within {timeout.TotalSeconds} s");
            return;
        }
        if (header is null)
        {
            // Closed before sending anything: a TCP health check (HAProxy's plain "check"), not worth a warning.
            LogClosedEmpty(Describe(peer));
            return;
        }
        if (header.HasClientAddress)
        {
            connection.RemoteEndPoint = new IPEndPoint(header.SourceAddress!, header.SourcePort);
            connection.LocalEndPoint = new IPEndPoint(header.DestinationAddress!, header.DestinationPort);
        }
        await next(connection);
    }

    /// <summary>The header, or null when the peer closed without sending a byte; throws when it is not a header.</summary>
    private async Task<ProxyHeader?> ReadHeaderAsync(PipeReader input)
    {
        using var deadline = new CancellationTokenSource(timeout > TimeSpan.Zero ? timeout : Timeout.InfiniteTimeSpan);
        while (true)
        {
            ReadResult result = await input.ReadAsync(deadline.Token);
            ReadOnlySequence<byte> buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            bool complete;
            try
            {
                complete = ProxyHeaderReader.TryRead(ref reader, out ProxyHeader? header);
                if (complete)
                {
                    input.AdvanceTo(reader.Position);
                    return header;
                }
            }
            catch (ProtocolException)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return buffer.IsEmpty ? null : throw new ProtocolException($"the connection ended after {buffer.Length} bytes of an incomplete header");
            }
        }
    }

    private static string Describe(EndPoint? peer) => peer switch
    {
        IPEndPoint ip => ip.ToString(),
        UnixDomainSocketEndPoint => "a Unix-socket peer",
        null => "an unknown peer",
        _ => peer.ToString() ?? "an unknown peer",
    };

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "PROXY protocol: closed the connection from {Peer}: {Reason}")]
    private partial void LogMalformed(string peer, string reason);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning,
        Message = "PROXY protocol: closed the connection from {Peer}: only a peer in --forwarded-allow-ips ({Trusted}) may name the client")]
    private partial void LogUntrustedPeer(string peer, string trusted);

    [LoggerMessage(EventId = 402, Level = LogLevel.Debug, Message = "PROXY protocol: {Peer} closed the connection before sending a header")]
    private partial void LogClosedEmpty(string peer);
}
