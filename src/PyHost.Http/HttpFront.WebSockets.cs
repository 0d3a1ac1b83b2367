using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace PyHost.Http;

// WebSockets for ASGI apps: Kestrel's WebSocket middleware offers the handshake (HTTP/1.1 Upgrade, and RFC 8441
// extended CONNECT over HTTP/2); the request still goes to a worker, which accepts it or not (WorkerRequest.WebSocket).
public sealed partial class HttpFront
{
    private static void UseWebSockets(WebApplication app, HttpFront front, HttpFrontOptions options)
    {
        app.UseWebSockets();
        if (options.Compression is not null)
        {
            // A WebSocket's bytes are no response body: they skip response compression (permessage-deflate is the
            // socket's own).
            app.Use((context, next) => context.WebSockets.IsWebSocketRequest ? front.HandleAsync(context) : next(context));
        }
    }
}
