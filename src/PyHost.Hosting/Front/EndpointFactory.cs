using PyHost.Configuration.Model;
using PyHost.Hosting.Apps;
using PyHost.Http.Routing;
using PyHost.Http.StaticFiles;
using PyHost.Workers.Dispatch;

namespace PyHost.Hosting.Front;

/// <summary>What answers a route: the named app's pool with the route's buffering and body limit, a mount, ...</summary>
public static class EndpointFactory
{
    public static RouteEndpoint For(SiteConfig site, RouteConfig route, IReadOnlyDictionary<string, AppHost> apps, StaticFileRoute files) =>
        route.Target switch
        {
            AppTarget app => new AppEndpoint(app.App, apps[app.App].Pool, PolicyOf(site, route)),
            StaticTarget directory => new StaticEndpoint(files, StaticMount.ForRoute(route.Path, directory.Directory, StaticOptionsOf(site, route))
                ?? throw new ServerConfigurationException($"static route {route.Path}: no such directory: {directory.Directory}")),
            RedirectTarget redirect => new RedirectEndpoint(redirect),
            RespondTarget respond => new RespondEndpoint(respond),
            _ => throw new ServerConfigurationException($"route {route.Path}: a {route.Target?.Kind ?? "missing"} target cannot be served"),
        };

    /// <summary>The route's buffering (on unless it says off) and body limit (the route's, else the site's, else the
    /// built-in default; 0 is no limit).</summary>
    public static DispatchPolicy PolicyOf(SiteConfig site, RouteConfig route)
    {
        long limit = (route.MaxBodySize ?? site.Limits.MaxBodySize ?? LimitsConfig.Defaults.MaxBodySize)!.Value.Bytes;
        return new DispatchPolicy
        {
            RequestBuffering = route.RequestBuffering ?? true,
            ResponseBuffering = route.ResponseBuffering ?? true,
            MaxRequestBodySize = limit == 0 ? null : limit,
        };
    }

    private static StaticFileOptions StaticOptionsOf(SiteConfig site, RouteConfig route) => StaticFileOptions.Default;
}

/// <summary>A configuration the server cannot run (a static directory that is gone): one line for the user.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
