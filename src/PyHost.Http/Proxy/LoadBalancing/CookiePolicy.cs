using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Proxy.LoadBalancing;

/// <summary>
/// Sticky sessions by cookie (Caddy's <c>lb_policy cookie</c>, HAProxy's <c>cookie ... insert</c>): the cookie names
/// the client's server by its <see cref="UpstreamServer.Id"/>. A client without it, or whose server is down, gets
/// one by round robin and a new cookie with the response. The cookie lives as long as the browser session.
/// </summary>
public sealed class CookiePolicy(string cookieName, ILoadBalancingPolicy fallback) : ILoadBalancingPolicy
{
    public string CookieName { get; } = cookieName;

    public UpstreamServer Pick(HttpContext context, IReadOnlyList<UpstreamServer> available)
    {
        if (context.Request.Cookies[CookieName] is { Length: > 0 } id)
        {
            foreach (UpstreamServer server in available)
            {
                if (server.Id == id)
                {
                    return server;
                }
            }
        }
        return fallback.Pick(context, available);
    }

    public void Chosen(HttpContext context, UpstreamServer server)
    {
        if (context.Request.Cookies[CookieName] != server.Id)
        {
            context.Response.Headers.Append("Set-Cookie", $"{CookieName}={server.Id}; Path=/; HttpOnly; SameSite=Lax");
        }
    }
}
