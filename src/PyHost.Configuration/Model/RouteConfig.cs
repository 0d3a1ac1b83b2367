using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>
/// One <c>[[site.route]]</c>: a path prefix (the longest that matches wins), optionally some methods, and exactly one
/// target. An app mounted under <c>/blog</c> sees <c>SCRIPT_NAME=/blog</c> (PEP 3333).
/// </summary>
public sealed record RouteConfig
{
    public static readonly IReadOnlyList<string> TargetKeys = ["app", "static", "cgi", "redirect", "respond", "proxy"];

    /// <summary>The prefix, with a leading slash and no trailing one ("/blog"); "/" for everything.</summary>
    public string Path { get; init; } = "/";

    /// <summary>The methods this route takes; null = all.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    public RouteTarget? Target { get; init; }

    /// <summary>
    /// App routes: read the whole request body before asking for a worker (nginx proxy_request_buffering), so a slow
    /// upload costs a connection, never a worker. null = true; false streams the body as the app reads it. Proxy
    /// routes: read a body of up to 64 KiB whole before sending the request; false streams every body.
    /// </summary>
    public bool? RequestBuffering { get; init; }

    /// <summary>
    /// App routes: take the response as fast as the worker makes it and free the worker while the client reads
    /// (nginx proxy_buffering). null = true; an app turns it off per response with <c>X-Accel-Buffering: no</c>.
    /// </summary>
    public bool? ResponseBuffering { get; init; }

    /// <summary>null = the site's limits.max_body_size; 0 = no limit.</summary>
    public ByteSize? MaxBodySize { get; init; }

    /// <summary>Static routes: index file, fallback, Cache-Control, precompressed files, ranges; null when none is set.</summary>
    public StaticOptionsConfig? StaticOptions { get; init; }

    private StaticOptionsConfig StaticOptionsOrDefault => StaticOptions ?? new StaticOptionsConfig();

    /// <summary>A proxy route sends the path below its prefix: /api/users as /users (Caddy's handle_path).</summary>
    public bool StripPrefix { get; init; }

    /// <summary>This route's own access rules; see <see cref="AccessConfig.Over"/> for what it inherits.</summary>
    public AccessConfig Access { get; init; } = AccessConfig.None;

    /// <summary>Whether a request path (percent-encoded, as sent) is at or below this route's prefix.</summary>
    public bool MatchesPath(string requestPath) =>
        Path == "/" || requestPath.StartsWith(Path, StringComparison.Ordinal) && (requestPath.Length == Path.Length || requestPath[Path.Length] == '/');

    public bool MatchesMethod(string method) => Methods is null || Methods.Contains(method, StringComparer.Ordinal);

    /// <summary>
    /// The route for a request: the longest matching prefix whose methods fit; among equal prefixes, the first
    /// written. Null when none matches.
    /// </summary>
    public static RouteConfig? Select(IReadOnlyList<RouteConfig> routes, string requestPath, string method)
    {
        RouteConfig? best = null;
        foreach (RouteConfig route in routes)
        {
            if (route.MatchesPath(requestPath) && route.MatchesMethod(method) && (best is null || route.Path.Length > best.Path.Length))
            {
                best = route;
            }
        }
        return best;
    }

    private static readonly TextType PathPrefixType = new("a path prefix such as \"/\" or \"/blog\"", text =>
        !text.StartsWith('/') ? ($"\"{text}\" does not start with '/'", "write the prefix from the root: \"/blog\"")
        : text.AsSpan().IndexOfAny("%?#\\ ") >= 0 || text.Contains("//", StringComparison.Ordinal) || text.Split('/').Any(segment => segment is "." or "..")
            ? ($"\"{text}\" is not a plain path", "a prefix has no %, ?, #, spaces, backslashes, empty or dot segments")
            : null, pattern: "^/");

    private static readonly TextType MethodType = new("an HTTP method such as \"GET\"", text =>
        text.Length == 0 || !text.All(char.IsAsciiLetterUpper) ? ($"\"{text}\" is not an HTTP method", "methods are upper case: \"GET\", \"POST\"") : null,
        pattern: "^[A-Z]+$");

    public static ConfigTable<RouteConfig> Table { get; } = CreateTable();

    private static ConfigTable<RouteConfig> CreateTable()
    {
        var table = new ConfigTable<RouteConfig>("[[site.route]]", "A route of a site: a path prefix (the longest match wins), optional methods, exactly one target (app, static, cgi, redirect, respond or proxy), and access rules.", () => new RouteConfig())
        {
            { "path", PathPrefixType, "Path prefix this route takes: \"/\" for everything, \"/blog\" for /blog and below (not /blogs).", r => r.Path, (r, v) => r with { Path = v.Length > 1 ? v.TrimEnd('/') : v } },
            { "methods", Types.Optional(Types.List(MethodType)), "Only these methods, e.g. [\"GET\", \"HEAD\"]; others fall through to shorter prefixes. Default: all.", r => r.Methods, (r, v) => r with { Methods = v }, "all methods" },
            { "app", Types.Optional(Types.NonEmptyText), "Target: the name of an [app.NAME] whose workers answer.", r => (r.Target as AppTarget)?.App, (r, v) => r with { Target = new AppTarget(v!) } },
            { "static", Types.Optional(Types.Directory), "Target: a directory whose files the front serves (as --static does), relative to this file.", r => (r.Target as StaticTarget)?.Directory, (r, v) => r with { Target = new StaticTarget(v!) } },
            { "cgi", Types.Optional(Types.Table(CgiTarget.Table, printInline: true)), "Target: CGI scripts run by the front, { path = \"cgi-bin\", extensions = [\".cgi\"] } (as --cgi does).", r => r.Target as CgiTarget, (r, v) => r with { Target = v } },
            { "redirect", Types.Optional(Types.Table(RedirectTarget.Table, printInline: true)), "Target: a redirect, { status = 301, location = \"https://{host}{uri}\" }.", r => r.Target as RedirectTarget, (r, v) => r with { Target = v } },
            { "respond", Types.Optional(Types.Table(RespondTarget.Table, printInline: true)), "Target: a fixed response, { status = 200, headers = { ... }, body = \"...\" }.", r => r.Target as RespondTarget, (r, v) => r with { Target = v } },
            { "proxy", new ProxyTargetType(), "Target: the servers of [upstream.NAME] (proxy = \"NAME\"), or one server (proxy = \"http://127.0.0.1:9000\", \"unix:/run/app.sock\"), reverse-proxied.", r => r.Target as ProxyTarget, (r, v) => r with { Target = v } },
            { "strip_prefix", Types.Boolean, "With proxy: send the path below the route's prefix (/api/users as /users). Default: the whole path, as nginx's proxy_pass without a URI.", r => r.StripPrefix, (r, v) => r with { StripPrefix = v } },
            { "request_buffering", Types.OptionalValue(Types.Boolean), "Read the whole request body before a worker is asked for it, so a slow upload costs a connection, never a worker; false streams it to the app as it reads (nginx: proxy_request_buffering). Proxy routes: bodies of up to 64 KiB with a Content-Length are read whole before they are sent (larger ones always stream); false streams them too.", r => r.RequestBuffering, (r, v) => r with { RequestBuffering = v }, "true" },
            { "response_buffering", Types.OptionalValue(Types.Boolean), "App routes: take the response as fast as the worker makes it and free the worker while a slow client reads; false makes the worker wait for the client. An app turns it off per response with X-Accel-Buffering: no (nginx: proxy_buffering).", r => r.ResponseBuffering, (r, v) => r with { ResponseBuffering = v }, "true" },
            { "max_body_size", Types.OptionalValue(Types.Size), "Largest request body on this route; larger gets 413; 0 = no limit. Default: the site's limit.", r => r.MaxBodySize, (r, v) => r with { MaxBodySize = v }, "the site's limits.max_body_size" },
            { "index", Types.Optional(StaticOptionsConfig.FileNameType), "Static routes: the file served for a directory path, e.g. \"index.html\"; /dir is redirected to /dir/ first.", r => r.StaticOptions?.Index, (r, v) => r with { StaticOptions = r.StaticOptionsOrDefault with { Index = v } }, "none: a directory path gets 404" },
            { "fallback", Types.Optional(StaticOptionsConfig.FileNameType), "Static routes: a file of the directory (e.g. \"index.html\") served with 200 for paths that name no file: a single-page app (nginx: try_files $uri /index.html).", r => r.StaticOptions?.Fallback, (r, v) => r with { StaticOptions = r.StaticOptionsOrDefault with { Fallback = v?.TrimStart('/') } }, "none" },
            { "cache_control", Types.TableArray(CacheControlEntry.Table), $"Static routes: Cache-Control by file, e.g. [{{ match = \"hashed\", value = \"{CacheControlEntry.ImmutableValue}\" }}, {{ match = \"*.html\", value = \"no-cache\" }}]; the first match wins.", r => r.StaticOptions?.CacheControl ?? [], (r, v) => r with { StaticOptions = r.StaticOptionsOrDefault with { CacheControl = v } }, "none" },
            { "precompressed", Types.OptionalValue(Types.Boolean), "Static routes: send FILE.zst, FILE.br or FILE.gz next to FILE when the client accepts that coding (nginx: gzip_static).", r => r.StaticOptions?.Precompressed, (r, v) => r with { StaticOptions = r.StaticOptionsOrDefault with { Precompressed = v ?? false } }, "false" },
            { "max_ranges", Types.OptionalValue(Types.Count(1)), "Static routes: a Range request for more byte ranges than this gets the whole file.", r => r.StaticOptions?.MaxRanges, (r, v) => r with { StaticOptions = r.StaticOptionsOrDefault with { MaxRanges = v ?? StaticOptionsConfig.DefaultMaxRanges } }, StaticOptionsConfig.DefaultMaxRanges.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            { "sendfile", Types.OptionalValue(Types.Boolean), "Static routes: send files of 32 KiB and more with sendfile(2) on plaintext HTTP/1.1 connections, from the page cache to the socket without a copy (nginx: sendfile); TLS, HTTP/2 and compressed responses are always copied.", r => r.StaticOptions?.SendFile, (r, v) => r with { StaticOptions = r.StaticOptionsOrDefault with { SendFile = v ?? true } }, "true" },
        };
        AccessConfig.AddKeys(table, "route", r => r.Access, (r, v) => r with { Access = v });
        table.Check(CheckOneTarget);
        table.Check(CheckStaticOptions);
        table.Check(CheckBodyOptions);
        return table;
    }

    /// <summary>The kinds of route each body and buffering key acts on; elsewhere it would be silently ignored.</summary>
    private static readonly (string Key, string[] Kinds, string? Why)[] BodyOptionTargets =
    [
        ("request_buffering", ["app", "proxy"], null),
        ("response_buffering", ["app"], "a proxy route streams the server's response with back-pressure"),
        ("max_body_size", ["app", "cgi", "proxy"], null),
    ];

    private static RouteConfig CheckBodyOptions(RouteConfig route, TomlTable node, ReadContext context, string path)
    {
        if (route.Target is null)
        {
            return route;
        }
        foreach ((string key, string[] kinds, string? why) in BodyOptionTargets)
        {
            if (node.Entry(key) is { } entry && !kinds.Contains(route.Target.Kind))
            {
                string actsOn = kinds.Length == 1 ? kinds[0] : $"{string.Join(", ", kinds[..^1])} and {kinds[^1]}";
                context.Diagnostics.Warning(entry.KeyOrigin, ReadContext.Join(path, key),
                    $"'{key}' has no effect on a {route.Target.Kind} route: ignored", $"it acts on {actsOn} routes" + (why is null ? "" : $"; {why}"));
            }
        }
        return route;
    }

    private static RouteConfig CheckOneTarget(RouteConfig route, TomlTable node, ReadContext context, string path)
    {
        var targets = TargetKeys.Where(key => node[key] is not null).ToList();
        if (targets.Count == 0)
        {
            context.Error(node, path, "a route needs a target: one of app, static, cgi, redirect, respond or proxy",
                "e.g. app = \"main\", static = \"public\", redirect = { status = 301, location = \"https://{host}{uri}\" }");
        }
        else if (targets.Count > 1)
        {
            context.Diagnostics.Error(node.Entry(targets[1])!.KeyOrigin, path, $"a route takes one target, but this one has {string.Join(" and ", targets)}",
                "split it into two routes with different paths or methods");
        }
        if (node.Entry("strip_prefix") is { } strip && route.StripPrefix && route.Target is not ProxyTarget && targets.Count == 1)
        {
            context.Diagnostics.Error(strip.KeyOrigin, ReadContext.Join(path, "strip_prefix"), "strip_prefix applies to proxy routes only",
                route.Target is AppTarget ? "an app under a prefix already sees it as SCRIPT_NAME and the rest as PATH_INFO" : "remove it");
        }
        return route;
    }

    private static RouteConfig CheckStaticOptions(RouteConfig route, TomlTable node, ReadContext context, string path)
    {
        if (route.Target is null or StaticTarget)
        {
            return route;
        }
        foreach (string key in StaticOptionsConfig.RouteKeys)
        {
            if (node.Entry(key) is { } entry)
            {
                context.Diagnostics.Error(entry.KeyOrigin, ReadContext.Join(path, key), $"'{key}' applies to static routes only, and this route's target is {route.Target.Kind}",
                    "put it on a route with static = \"DIR\"");
            }
        }
        return route;
    }
}
