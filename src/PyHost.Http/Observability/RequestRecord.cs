using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Observability;

/// <summary>
/// What is known about one request beyond Kestrel's own features, collected as it passes: its id, its span, which app
/// and worker ran it, the body sizes. Set as a feature by <see cref="RequestObserver"/>; read by the environ writer and
/// the access log.
/// </summary>
public sealed class RequestRecord
{
    private const int MaxRequestIdLength = 200;

    public RequestRecord(string requestId, long startedAt, DateTimeOffset startTime)
    {
        RequestId = requestId;
        StartedAt = startedAt;
        StartTime = startTime;
    }

    /// <summary>X-Request-ID from a trusted proxy, or made here; the app sees it as HTTP_X_REQUEST_ID.</summary>
    public string RequestId { get; }

    /// <summary>Stopwatch timestamp at arrival.</summary>
    public long StartedAt { get; }

    public DateTimeOffset StartTime { get; }

    /// <summary>The server span of this request, when tracing is on.</summary>
    public Activity? Activity { get; set; }

    /// <summary>The app that ran it; null for an answer of the front's own (static files).</summary>
    public string? App { get; set; }

    /// <summary>The route it matched: "/" for the app, the URL prefix of a static mount.</summary>
    public string Route { get; set; } = "/";

    public int WorkerId { get; set; }

    public long BodyBytesSent { get; set; }

    public long BodyBytesReceived { get; set; }

    public static RequestRecord? Of(HttpContext context) => context.Features.Get<RequestRecord>();

    /// <summary>Says who answered: an app (null for the front itself), on which route, with how many body bytes.</summary>
    public void Served(string? app, string route, long bodyBytesSent, long bodyBytesReceived)
    {
        App = app;
        Route = route;
        BodyBytesSent = bodyBytesSent;
        BodyBytesReceived = bodyBytesReceived;
    }

    /// <summary>The request's id: a trusted proxy's X-Request-ID (<c>--forwarded-allow-ips</c>) when it is printable
    /// and short, else a new one.</summary>
    public static string RequestIdFor(HttpContext context, TrustedProxies trusted)
    {
        if (context.Request.Headers.TryGetValue("X-Request-ID", out var given) && given.Count == 1
            && given[0] is { Length: > 0 and <= MaxRequestIdLength } id && IsPrintableAscii(id)
            && trusted.TrustsPeer(context.Connection.RemoteIpAddress))
        {
            return id;
        }
        return NewRequestId();
    }

    /// <summary>128 random bits as 32 hex digits, as Guid "N" gives, from the thread's own generator: Guid.NewGuid
    /// reads /dev/urandom, a system call on every request. A request id needs to be unique, not unguessable.</summary>
    private static string NewRequestId()
    {
        Span<byte> bits = stackalloc byte[16];
        Random.Shared.NextBytes(bits);
        return Convert.ToHexStringLower(bits);
    }

    private static bool IsPrintableAscii(string text)
    {
        foreach (char c in text)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }
        return true;
    }
}
