using PyHost.Configuration.Model;
using PyHost.Http.Compression;
using PyHost.Http.StaticFiles;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Routing;

/// <summary>What a matched route does with the request: one record per kind of route target.</summary>
public abstract record RouteEndpoint;

/// <summary>
/// The workers of an app answer, with the route's buffering and body limit. Mounted under a prefix, the app sees it as
/// <c>SCRIPT_NAME</c> and the rest of the path as <c>PATH_INFO</c> (PEP 3333, as mod_wsgi's WSGIScriptAlias does), or
/// as an ASGI app's <c>root_path</c>. <paramref name="WebSockets"/>: the pings and compression of the WebSockets an
/// ASGI app accepts.
/// </summary>
public sealed record AppEndpoint(string App, WorkerPool Pool, DispatchPolicy Policy, HttpWebSocketOptions? WebSockets = null) : RouteEndpoint;

/// <summary>Files under a directory, answered by the front (the mount's prefix is the route's).</summary>
public sealed record StaticEndpoint(StaticFileRoute Files, StaticMount Mount) : RouteEndpoint;

/// <summary>A redirect to a location made from the request (<c>{scheme}</c>, <c>{host}</c>, <c>{path}</c>, ...).</summary>
public sealed record RedirectEndpoint(RedirectTarget Target) : RouteEndpoint;

/// <summary>A fixed answer: status, headers, body.</summary>
public sealed record RespondEndpoint(RespondTarget Target) : RouteEndpoint;

/// <summary>CGI scripts (RFC 3875) under the route's prefix, run by the front with the route's body limit.</summary>
public sealed record CgiEndpoint(Cgi.CgiRoute Scripts, Cgi.CgiMount Mount, PyHost.Gateways.Cgi.CgiRunner Runner, DispatchPolicy Policy) : RouteEndpoint;

/// <summary>
/// The servers of an upstream answer, through the reverse proxy: the dispatcher calls
/// <c>await endpoint.Proxy.ServeAsync(context, errorPages)</c>, which answers every case itself (the site's 502/503/504
/// pages included) and returns the body bytes sent, for the access log.
/// </summary>
public sealed record ProxyEndpoint(PyHost.Http.Proxy.ProxyRoute Proxy) : RouteEndpoint;

/// <summary>What a site adds to every answer of its routes: compression, its own error pages.</summary>
public sealed record SiteFront(SiteConfig Config, ResponseCompressionMiddleware? Compression, IReadOnlyList<ErrorPageFile> ErrorPages)
{
    public static SiteFront Plain(SiteConfig config) => new(config, null, []);

    /// <summary>How logs name the site: its <c>name</c>, else its first host name, else "default".</summary>
    public string Name => Config.DisplayName;
}
