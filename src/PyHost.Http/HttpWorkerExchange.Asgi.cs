using System.Buffers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Win32.SafeHandles;
using PyHost.Http.ZeroCopy;
using PyHost.Workers.Dispatch;

namespace PyHost.Http;

// What an ASGI worker gets beyond WSGI: the scope, the WebSocket handshake, trailers, pathsend by sendfile(2).
internal sealed partial class HttpWorkerExchange : IWebSocketExchange, ITrailersExchange, IFileExchange
{
    private readonly HttpWebSocketOptions _webSockets;

    /// <summary>Told when a pathsend that sendfile(2) would have sent is copied because this plaintext connection has no
    /// zero-copy output (<see cref="HttpFront.NewConnectionsSendFiles"/>).</summary>
    public Action? ZeroCopyMissing { get; init; }

    public bool IsWebSocketRequest => _context.WebSockets.IsWebSocketRequest;

    /// <summary>True once the handshake completed: the response is the socket, not an HTTP body.</summary>
    public bool IsUpgraded { get; private set; }

    public bool WriteScope(IBufferWriter<byte> output, long? bufferedBodyLength)
    {
        AsgiScope.Write(_context, output, bufferedBodyLength, IsWebSocketRequest, _scriptName);
        return true;
    }

    public async Task<WebSocket?> AcceptWebSocketAsync(string? subProtocol, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        IHeaderDictionary responseHeaders = _context.Response.Headers;
        foreach (KeyValuePair<string, string> header in headers)
        {
            responseHeaders.Append(header.Key, header.Value);
        }
        try
        {
            WebSocket socket = await _context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = string.IsNullOrEmpty(subProtocol) ? null : subProtocol,
                KeepAliveInterval = _webSockets.PingInterval,
                KeepAliveTimeout = _webSockets.PingTimeout,
                // permessage-deflate (RFC 7692) when the client offers it. No context takeover on our side: an idle
                // socket then holds no zlib state between messages, which 10,000 idle sockets would feel.
                DangerousEnableCompression = _webSockets.Compression,
                DisableServerContextTakeover = true,
            });
            IsUpgraded = true;
            ResponseStarted = true;
            return socket;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or WebSocketException)
        {
            return null;
        }
    }

    public async ValueTask<long?> TrySendFileAsync(SafeFileHandle file, long length)
    {
        if (!ZeroCopyResponse.Suits(_context, length))
        {
            return null;
        }
        if (_context.Features.Get<IZeroCopyFileFeature>() is not { } output)
        {
            if (_context.Features.Get<ITlsHandshakeFeature>() is null)
            {
                ZeroCopyMissing?.Invoke();
            }
            return null;
        }
        try
        {
            if (await ZeroCopyResponse.SendAsync(_context, output, file, 0, length, SentFileSource.Pathsend) is not { } sent)
            {
                return null;   // compressed on the fly
            }
            BodyBytesSent += sent;
            return sent;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return 0;   // the connection broke under the head: as FlushAsync, the client is gone
        }
    }

    public bool CanSendTrailers =>
        _context.Response.SupportsTrailers()
        && _context.Request.Headers.TE.Any(value => value is not null && value.Contains("trailers", StringComparison.OrdinalIgnoreCase));

    public void AppendTrailers(IReadOnlyList<KeyValuePair<string, string>> trailers)
    {
        foreach (KeyValuePair<string, string> trailer in trailers)
        {
            _context.Response.AppendTrailer(trailer.Key, new StringValues(trailer.Value));
        }
    }
}

/// <summary>How the front keeps WebSockets alive (uvicorn's --ws-ping-interval and --ws-ping-timeout) and whether it
/// compresses them.</summary>
public sealed record HttpWebSocketOptions
{
    public static HttpWebSocketOptions Default { get; } = new();

    /// <summary>A ping this often (RFC 6455 §5.5.2); zero: none.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A socket whose pong does not come within this is closed; zero: not checked.</summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Negotiate permessage-deflate (RFC 7692) when the client offers it.</summary>
    public bool Compression { get; init; } = true;
}
