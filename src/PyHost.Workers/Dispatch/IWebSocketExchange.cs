using System.Net.WebSockets;

namespace PyHost.Workers.Dispatch;

/// <summary>
/// A listener whose protocol carries WebSockets, beside <see cref="IWorkerExchange"/>: HTTP implements it; the
/// gateways (uwsgi, FastCGI, SCGI) do not, and their requests are then always plain HTTP requests.
/// </summary>
public interface IWebSocketExchange
{
    /// <summary>The request asks for a WebSocket (HTTP/1.1 Upgrade, or RFC 8441 extended CONNECT over HTTP/2).</summary>
    bool IsWebSocketRequest { get; }

    /// <summary>
    /// Completes the handshake the ASGI app accepted (<c>websocket.accept</c>), with its subprotocol and extra
    /// headers, and returns the socket; null when the client left meanwhile. permessage-deflate is negotiated here.
    /// </summary>
    Task<WebSocket?> AcceptWebSocketAsync(string? subProtocol, IReadOnlyList<KeyValuePair<string, string>> headers);
}
