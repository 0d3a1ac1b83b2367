using PyHost.Configuration.Model;
using PyHost.Hosting.Apps;
using PyHost.Http;
using PyHost.Http.Compression;
using PyHost.Gateways.Cgi;
using PyHost.Http.Cgi;
using PyHost.Http.Routing;
using PyHost.Http.StaticFiles;
using PyHost.Workers.Dispatch;

namespace PyHost.Hosting.Front;

/// <summary>What answers a route: the named app's pool with the route's buffering and body limit, a mount, ...</summary>
public static class EndpointFactory
{
    public static RouteEndpoint For(SiteConfig site, RouteConfig route, IReadOnlyDictionary<string, AppHost> apps, StaticFileRoute files,
        CgiRoute cgi, RouteResources resources) =>
        route.Target switch
        {
            CgiTarget scripts => cgi.Endpoint(CgiMountOf(route, scripts), CgiOptionsOf(apps), PolicyOf(site, route, new AppConfig())),
            AppTarget app => new AppEndpoint(app.App, apps[app.App].Pool, PolicyOf(site, route, apps[app.App].Config), WebSocketsOf(apps[app.App].Config)),
            StaticTarget directory => new StaticEndpoint(files, StaticMount.ForRoute(route.Path, directory.Directory, StaticOptionsOf(site, route))
                ?? throw new ServerConfigurationException($"static route {route.Path}: no such directory: {directory.Directory}")),
            RedirectTarget redirect => new RedirectEndpoint(redirect),
            RespondTarget respond => new RespondEndpoint(respond),
            ProxyTarget => resources.Upstreams.EndpointFor(route, MaxBodySizeOf(site, route)),
            _ => throw new ServerConfigurationException($"route {route.Path}: a {route.Target?.Kind ?? "missing"} target cannot be served"),
        };

    /// <summary>The route's buffering (on unless it says off) and body limit (the route's, else the site's, else the
    /// built-in default; 0 is no limit).</summary>
    public static DispatchPolicy PolicyOf(SiteConfig site, RouteConfig route, AppConfig app) => new()
    {
        RequestBuffering = route.RequestBuffering ?? true,
        ResponseBuffering = route.ResponseBuffering ?? true,
        MaxRequestBodySize = MaxBodySizeOf(site, route),
        MaxWebSocketMessageSize = app.WebSocketMaxSize.Bytes,
    };

    /// <summary>The largest request body the route takes: the route's max_body_size, else the site's, else the built-in
    /// default; null where it is 0 (no limit).</summary>
    public static long? MaxBodySizeOf(SiteConfig site, RouteConfig route)
    {
        long limit = (route.MaxBodySize ?? site.Limits.MaxBodySize ?? LimitsConfig.Defaults.MaxBodySize)!.Value.Bytes;
        return limit == 0 ? null : limit;
    }

    /// <summary>A static route's index, fallback, Cache-Control rules, precompressed siblings and range limit, with the
    /// site's 404 page for missing files.</summary>
    public static StaticFileOptions StaticOptionsOf(SiteConfig site, RouteConfig route)
    {
        StaticOptionsConfig options = route.StaticOptions ?? new StaticOptionsConfig();
        return new StaticFileOptions
        {
            IndexFile = options.Index,
            FallbackFile = options.Fallback,
            CacheControl = options.CacheControl.Select(entry => CacheControlRule.Create(entry.Match, entry.Value)).ToList(),
            // Brotli first among codings a client weighs alike: the smallest file, and no CPU spent at request time.
            Precompressed = options.Precompressed ? [ContentCoding.Brotli, ContentCoding.Zstd, ContentCoding.Gzip] : [],
            NotFoundPage = ErrorPageFile.For(SiteFrontFactory.ErrorPagesOf(site), 404),
            MaxRanges = options.MaxRanges,
            SendFile = options.SendFile,
        };
    }

    /// <summary>The pings and compression of the WebSockets an ASGI app accepts (the app's websocket_* keys).</summary>
    public static HttpWebSocketOptions WebSocketsOf(AppConfig app) => new()
    {
        PingInterval = app.WebSocketPingInterval,
        PingTimeout = app.WebSocketPingTimeout,
        Compression = app.WebSocketPerMessageDeflate,
    };

    private static CgiMount CgiMountOf(RouteConfig route, CgiTarget scripts)
    {
        string text = $"{route.Path}={scripts.Path}{string.Concat(scripts.Extensions.Select(extension => "," + extension))}";
        return CgiMount.TryParse(text, out CgiMount? mount, out string? error)
            ? mount
            : throw new ServerConfigurationException($"cgi route {route.Path}: {error}");
    }

    /// <summary>
    /// Scripts run as the app's user and group and within its timeout (RFC 3875 leaves both to the server; Apache's
    /// suEXEC runs them as the site's user). A cgi route belongs to no app: with several, the first one's.
    /// </summary>
    private static CgiRunnerOptions CgiOptionsOf(IReadOnlyDictionary<string, AppHost> apps)
    {
        AppConfig? app = apps.Values.Select(host => host.Config).FirstOrDefault();
        return new CgiRunnerOptions
        {
            Timeout = app is { Timeout: var timeout } && timeout > TimeSpan.Zero ? timeout : Timeout.InfiniteTimeSpan,
            User = app?.User,
            Group = app?.Group,
        };
    }
}

/// <summary>A configuration the server cannot run (a static directory that is gone): one line for the user.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
