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
                case NotSentAgainException notSent:
                    return $"{Describe(notSent.InnerException)} on a kept-alive connection, and a {notSent.Method} is not sent twice";
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

/// <summary>A request that must not be sent twice (RFC 9110 §9.2.2: a POST, a PATCH) failed on a reused connection after
/// it was sent: the server may have acted on it, so it is not sent again on a new one.</summary>
public sealed class NotSentAgainException(string method, Exception inner) : IOException(inner.Message, inner)
{
    public string Method { get; } = method;
}
