using System.Net;

namespace PyHost.Http.Observability;

/// <summary>
/// Which peers may tell us about the request: their X-Request-ID and X-Forwarded-For are believed. Loopback and Unix
/// socket peers only, for now; <c>--forwarded-allow-ips</c> and its resolver replace this one function.
/// </summary>
public static class TrustedProxies
{
    /// <summary>The check every reader of proxy headers goes through. Null: a Unix socket peer, local by nature.</summary>
    public static Func<IPAddress?, bool> IsTrusted { get; set; } = IsLoopbackOrLocal;

    private static bool IsLoopbackOrLocal(IPAddress? peer) => peer is null || IPAddress.IsLoopback(peer);
}
