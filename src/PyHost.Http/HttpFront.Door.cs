using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PyHost.Http.Connections;
using PyHost.Http.Forwarding;
using PyHost.Http.Observability;
using PyHost.Http.RequestValidation;

namespace PyHost.Http;

/// <summary>
/// The door every request passes before routing: Kestrel's limits, the connection middleware (PROXY protocol,
/// connection limits, the raw HTTP/1.1 framing checks), and the checks and origin of each request.
/// </summary>
public sealed partial class HttpFront
{
    /// <summary>Kestrel's own limits, set from <see cref="HttpLimits"/>: what Kestrel answers itself, it answers.</summary>
    internal static void ApplyLimits(KestrelServerOptions kestrel, HttpLimits limits)
    {
        // Kestrel counts the request line with its CRLF; the flag, as gunicorn's, without it.
        kestrel.Limits.MaxRequestLineSize = limits.MaxRequestLineBytes == 0 ? int.MaxValue : limits.MaxRequestLineBytes + 2;
        kestrel.Limits.MaxRequestHeaderCount = limits.MaxHeaderFields == 0 ? 32768 : limits.MaxHeaderFields;
        kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxHeaderSectionBytes;
        // HTTP/2's per-field limit is HPACK's; PyHost checks the field line itself and answers 431 with a page.
        kestrel.Limits.Http2.MaxRequestHeaderFieldSize = Math.Max(kestrel.Limits.Http2.MaxRequestHeaderFieldSize, limits.MaxHeaderSectionBytes);
        kestrel.Limits.RequestHeadersTimeout = limits.HeaderTimeout > TimeSpan.Zero ? limits.HeaderTimeout : Timeout.InfiniteTimeSpan;
        // --keep-alive 0 closes after each response (AnsweredAtTheDoorAsync); the idle timeout then never runs.
        kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout > TimeSpan.Zero ? limits.KeepAliveTimeout : TimeSpan.FromSeconds(1);
        kestrel.Limits.MinRequestBodyDataRate = limits.MinRequestBodyBytesPerSecond > 0
            ? new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.MinRequestBodyRateGrace)
            : null;
    }

    /// <summary>
    /// What runs on each new connection, in order: the PROXY header (it names the client), the connection limits
    /// (by that client), the HTTP/1.1 framing guard (on the bytes Kestrel will parse). A TLS layer belongs between
    /// the limits and the guard, so the guard reads decrypted bytes.
    /// </summary>
    internal static List<Func<ConnectionDelegate, ConnectionDelegate>> ConnectionMiddleware(FrontListenerSettings listener, FrontTrust trust, IServiceProvider services)
    {
        ILoggerFactory loggers = services.GetRequiredService<ILoggerFactory>();
        var middleware = new List<Func<ConnectionDelegate, ConnectionDelegate>>();
        if (listener.ProxyProtocol)
        {
            var proxyProtocol = new ProxyProtocolMiddleware(
                trust.ForwardedAllowIps, listener.Limits.HeaderTimeout, loggers.CreateLogger("pyhost.proxy_protocol"));
            middleware.Add(proxyProtocol.Use);
        }
        var limits = new ConnectionLimits(listener.Limits, trust.ForwardedAllowIps, loggers.CreateLogger("pyhost.limits"));
        if (limits.IsActive)
        {
            middleware.Add(limits.Use);
        }
        middleware.Add(Http1FramingGuard.Use);
        return middleware;
    }

    /// <summary>
    /// Decides the request's origin (trusted proxy headers) and refuses what RFC 9112/9113 forbid and Kestrel let
    /// through, with a status and a short page. HTTP/1.x connections are closed after a refusal: their framing is no
    /// longer to be trusted. True when the request was answered here.
    /// </summary>
    private async ValueTask<bool> AnsweredAtTheDoorAsync(HttpContext context, HttpLimits limits)
    {
        RequestOriginFeature.Attach(context, Trust.ForwardedAllowIps, Trust.ForwardedHeaders);
        bool http1 = HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol);
        if (http1 && limits.KeepAliveTimeout == TimeSpan.Zero)
        {
            context.Response.Headers.Connection = "close";
        }
        if (RequestRules.Check(context, limits) is not { } rejection)
        {
            return false;
        }
        if (http1)
        {
            context.Response.Headers.Connection = "close";
        }
        await ErrorPages.WriteAsync(context, rejection.StatusCode, rejection.Reason);
        RequestRecord.Of(context)?.Served(null, "/", context.Response.ContentLength ?? 0, 0);
        return true;
    }
}
