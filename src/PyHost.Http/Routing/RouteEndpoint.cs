using PyHost.Configuration.Model;
using PyHost.Http.Compression;
using PyHost.Http.StaticFiles;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Routing;

/// <summary>What a matched route does with the request: one record per kind of route target.</summary>
public abstract record RouteEndpoint;

/// <summary>
/// The workers of an app answer, with the route's buffering and body limit. Mounted under a prefix, the app sees it as
/// <c>SCRIPT_NAME</c> and the rest of the path as <c>PATH_INFO</c> (PEP 3333, as mod_wsgi's WSGIScriptAlias does).
/// </summary>
public sealed record AppEndpoint(string App, WorkerPool Pool, DispatchPolicy Policy) : RouteEndpoint;

/// <summary>Files under a directory, answered by the front (the mount's prefix is the route's).</summary>
public sealed record StaticEndpoint(StaticFileRoute Files, StaticMount Mount) : RouteEndpoint;

/// <summary>A redirect to a location made from the request (<c>{scheme}</c>, <c>{host}</c>, <c>{path}</c>, ...).</summary>
public sealed record RedirectEndpoint(RedirectTarget Target) : RouteEndpoint;

/// <summary>A fixed answer: status, headers, body.</summary>
public sealed record RespondEndpoint(RespondTarget Target) : RouteEndpoint;

/// <summary>What a site adds to every answer of its routes: compression, its own error pages.</summary>
public sealed record SiteFront(SiteConfig Config, ResponseCompressionMiddleware? Compression, IReadOnlyList<ErrorPageFile> ErrorPages)
{
    public static SiteFront Plain(SiteConfig config) => new(config, null, []);
}
