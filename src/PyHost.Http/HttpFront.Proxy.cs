using Microsoft.AspNetCore.Http;
using PyHost.Http.Health;
using PyHost.Http.Observability;
using PyHost.Http.Routing;

namespace PyHost.Http;

// What the front does besides apps and files: the health endpoints, the access rules, proxy routes.
public sealed partial class HttpFront
{
    /// <summary>/_pyhost/live and /_pyhost/ready, answered on listeners with <c>health_endpoints</c>; null: nowhere.</summary>
    public HealthEndpoints? Health { get; set; }

    private async ValueTask<bool> AnsweredHealthAsync(HttpContext context)
    {
        if (Health is not { } health || !HealthEndpoints.Matches(context.Request))
        {
            return false;
        }
        long sent = await health.AnswerAsync(context);
        RequestRecord.Of(context)?.Served(null, context.Request.Path.Value ?? "", sent, 0);
        return true;
    }

    /// <summary>The route's rate limit, allow/deny and basic auth (nginx's order); a refusal was answered by them.</summary>
    private async ValueTask<bool> AdmittedAsync(HttpContext context, RouteMatch match)
    {
        if (await match.Guards.AdmitAsync(context))
        {
            return true;
        }
        RequestRecord.Of(context)?.Served(null, match.Route.Path, context.Response.ContentLength ?? 0, 0);
        return false;
    }

    /// <summary>A proxy route answers every case itself, the site's 502/503/504 pages included.</summary>
    private async Task ProxyAsync(HttpContext context, RouteMatch match, ProxyEndpoint proxy)
    {
        long sent = await proxy.Proxy.ServeAsync(context, match.Site.ErrorPages);
        RequestRecord.Of(context)?.Served(null, match.Route.Path, sent, 0);
    }
}
