using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace PyHost.Http.ZeroCopy;

/// <summary>
/// The connection middleware of plaintext HTTP/1.1 listeners that lets responses send files with sendfile(2): the
/// connection's output becomes a <see cref="ZeroCopyConnection"/>, which also is the connection's
/// <see cref="IZeroCopyFileFeature"/>. Installed last, right before HTTP, so that the PROXY header and h2c detection
/// have read their bytes from Kestrel's input, which stays as it is.
/// </summary>
internal static class ZeroCopyMiddleware
{
    /// <param name="wanted">Asked for each new connection: whether files may be sent now (a route serves files, or an
    /// app has sent one by pathsend: <see cref="HttpFront.NewConnectionsSendFiles"/>). Where not, the connection goes
    /// without the zero-copy output, which costs about 1 KB per open connection (its pipe, its send loop); once they
    /// may, new connections get it.</param>
    public static Func<ConnectionDelegate, ConnectionDelegate> For(Func<bool> wanted) => next => connection =>
    {
        Socket? socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null || !wanted() || CleartextHttp2Detection.ChoseHttp2(connection))
        {
            return next(connection);   // not a socket of Kestrel's transport, no files to send, or HTTP/2 frames
        }
        return ServeAsync(connection, socket, next);
    };

    private static async Task ServeAsync(ConnectionContext connection, Socket socket, ConnectionDelegate next)
    {
        var zeroCopy = new ZeroCopyConnection(connection.Transport, socket, connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool,
            error => connection.Abort(new ConnectionAbortedException("The connection broke while a response was sent.", error)),
            connection.ConnectionClosed);
        connection.Transport = zeroCopy;
        connection.Features.Set<IZeroCopyFileFeature>(zeroCopy);
        zeroCopy.Start();
        try
        {
            await next(connection);
        }
        finally
        {
            await zeroCopy.FinishAsync();
        }
    }
}
