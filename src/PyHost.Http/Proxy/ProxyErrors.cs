using System.Net.Sockets;

namespace PyHost.Http.Proxy;

/// <summary>What went wrong talking to an upstream server, in words for the log.</summary>
public static class ProxyErrors
{
    /// <summary>"connection refused", "no connection to 10.0.0.1:8000 within 5 s", "the server closed the connection".</summary>
    public static string Describe(Exception? error)
    {
        for (Exception? inner = error; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case UpstreamConnectTimeoutException timeout:
                    return timeout.Message;
                case SocketException socket:
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.ConnectionReset => "connection reset by the server",
                        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "no route to the server",
                        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => "the server's host name does not resolve",
                        SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported => socket.Message,
                        _ => socket.Message.ToLowerInvariant(),
                    };
            }
        }
        Exception? innermost = error;
        while (innermost?.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }
        return innermost switch
        {
            null => "unknown error",
            HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } => "the server closed the connection before it answered",
            OperationCanceledException => "no answer within response_timeout",
            _ => innermost.Message,
        };
    }

    /// <summary>Whether the connection could not even be made (nginx: "connect() failed"), so no byte reached the server.</summary>
    public static bool IsConnectFailure(Exception? error)
    {
        for (Exception? inner = error; inner is not null; inner = inner.InnerException)
        {
            if (inner is UpstreamConnectTimeoutException || inner is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
            {
                return true;
            }
        }
        return false;
    }

    public static bool IsConnectTimeout(Exception? error)
    {
        for (Exception? inner = error; inner is not null; inner = inner.InnerException)
        {
            if (inner is UpstreamConnectTimeoutException)
            {
                return true;
            }
        }
        return false;
    }
}
