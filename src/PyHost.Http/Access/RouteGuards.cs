using Microsoft.AspNetCore.Http;
using PyHost.Http.Access.BasicAuth;
using PyHost.Http.RateLimiting;

namespace PyHost.Http.Access;

/// <summary>
/// What a request must pass before its route's endpoint runs, in nginx's order: the rate limit (its preaccess
/// phase: 429), then allow/deny (403), then basic authentication (401). Each refusal is answered here, with its
/// status and a short page. Built once per route by <see cref="RouteGuardFactory"/>.
/// </summary>
public sealed class RouteGuards(RateLimitGuard? rateLimit, IpAccessRules? addresses, BasicAuthGuard? basicAuth)
{
    public static RouteGuards None { get; } = new(null, null, null);

    public RateLimitGuard? RateLimit { get; } = rateLimit;

    public IpAccessRules? Addresses { get; } = addresses;

    public BasicAuthGuard? BasicAuth { get; } = basicAuth;

    public bool IsEmpty => RateLimit is null && Addresses is null && BasicAuth is null;

    /// <summary>
    /// True when the request may go on to the endpoint; false when it was answered (or its client left). The
    /// dispatcher writes the access log line either way.
    /// </summary>
    public async ValueTask<bool> AdmitAsync(HttpContext context) =>
        (RateLimit is null || await RateLimit.AdmitAsync(context))
        && (Addresses is null || await Addresses.AdmitAsync(context))
        && (BasicAuth is null || await BasicAuth.AdmitAsync(context));
}
