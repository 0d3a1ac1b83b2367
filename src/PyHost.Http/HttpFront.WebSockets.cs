using Microsoft.AspNetCore.Builder;

namespace PyHost.Http;

// WebSockets for ASGI apps: Kestrel's WebSocket middleware offers the handshake (HTTP/1.1 Upgrade, and RFC 8441
// extended CONNECT over HTTP/2); the request still goes to a worker, which accepts it or not (WorkerRequest.WebSocket).
// The keep-alive pings and permessage-deflate are the app's (its AppEndpoint), given at accept time.
public sealed partial class HttpFront
{
    public static void UseWebSockets(WebApplication app) => app.UseWebSockets();
}
