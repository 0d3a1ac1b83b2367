using Microsoft.AspNetCore.Http;
using PyHost.Configuration.Model;

namespace PyHost.Http.Forwarding;

/// <summary>
/// A request's <see cref="RequestOrigin"/>, decided once at the door and read by everything after it: the environ
/// builder and the access log (so the log names the client the app saw).
/// </summary>
public static class RequestOriginFeature
{
    public static RequestOrigin Attach(HttpContext context, TrustedProxies trusted, ForwardedHeaderStyle style)
    {
        ConnectionInfo connection = context.Connection;
        HttpRequest request = context.Request;
        string host = request.Headers.Host.ToString();
        var transport = new TransportFacts(
            connection.RemoteIpAddress, connection.RemotePort, request.Scheme, host.Length == 0 ? null : host,
            connection.LocalIpAddress, connection.LocalPort);
        // The headers are looked at only when someone trusted could have sent them.
        ForwardingFields fields = style == ForwardedHeaderStyle.None || !trusted.TrustsPeer(connection.RemoteIpAddress)
            ? default
            : new ForwardingFields(
                request.Headers["Forwarded"], request.Headers["X-Forwarded-For"], request.Headers["X-Forwarded-Proto"],
                request.Headers["X-Forwarded-Host"], request.Headers["X-Forwarded-Port"]);
        RequestOrigin origin = RequestOrigin.Resolve(trusted, style, transport, fields);
        context.Features.Set(origin);
        return origin;
    }

    /// <summary>The origin decided for this request; a request that never passed the door believes no header.</summary>
    public static RequestOrigin Get(HttpContext context) =>
        context.Features.Get<RequestOrigin>() ?? Attach(context, TrustedProxies.None, ForwardedHeaderStyle.None);
}
