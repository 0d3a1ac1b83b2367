using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using PyHost.Configuration.Model;

namespace PyHost.Http.Proxy;

/// <summary>A connection to an upstream server that was not made within connect_timeout (nginx answers 504 for it).</summary>
public sealed class UpstreamConnectTimeoutException(string server, TimeSpan timeout)
    : IOException($"no connection to {server} within {timeout.TotalSeconds:0.###} s");

/// <summary>
/// Opens the connections of one server's pool: TCP to its host and port, or its unix socket. The connect timeout
/// is enforced here, so that a connection that could not be made is told apart from an answer that came too late.
/// </summary>
public static class UpstreamConnector
{
    public static SocketsHttpHandler CreateHandler(UpstreamAddress address, TimeSpan connectTimeout, int maxConnections)
    {
        var handler = new SocketsHttpHandler
        {
            // A proxy passes what it gets: no redirects followed, no decompression, no cookies of its own, no proxy.
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            // Idle keep-alive connections are closed before a typical upstream's own keep-alive timeout (gunicorn: 2 s
            // is its default, PyHost: 75 s), so a request rarely races the server closing an idle one.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1.5),
            ConnectTimeout = Timeout.InfiniteTimeSpan,
            ConnectCallback = (context, cancel) => ConnectAsync(address, context.DnsEndPoint, connectTimeout, cancel),
            ActivityHeadersPropagator = null,
            SslOptions = new SslClientAuthenticationOptions(),
        };
        if (maxConnections > 0)
        {
            handler.MaxConnectionsPerServer = maxConnections;
        }
        return handler;
    }

    private static async ValueTask<Stream> ConnectAsync(UpstreamAddress address, DnsEndPoint endpoint, TimeSpan timeout, CancellationToken cancel) =>
        new NetworkStream(await ConnectSocketAsync(address, endpoint, timeout, cancel), ownsSocket: true);

    /// <summary>A connected socket to the server (TCP to <paramref name="endpoint"/>, or the address's unix socket);
    /// throws <see cref="UpstreamConnectTimeoutException"/> when <paramref name="timeout"/> passes first.</summary>
    public static async ValueTask<Socket> ConnectSocketAsync(UpstreamAddress address, DnsEndPoint endpoint, TimeSpan timeout, CancellationToken cancel)
    {
        Socket socket = address.IsUnixSocket
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            if (address.IsUnixSocket)
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(address.UnixSocketPath!), deadline.Token);
            }
            else
            {
                await socket.ConnectAsync(endpoint, deadline.Token);
            }
            return socket;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            socket.Dispose();
            throw new UpstreamConnectTimeoutException(address.Text, timeout);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
