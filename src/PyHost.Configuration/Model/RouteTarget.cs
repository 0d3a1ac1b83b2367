using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

/// <summary>
/// Where a route sends its requests. One record per kind of target; a later kind (proxy upstreams, CGI scripts) is
/// a new record here and one key in <see cref="RouteConfig.Table"/>.
/// </summary>
public abstract record RouteTarget
{
    /// <summary>The route key that names this kind: "app", "static", ...</summary>
    public abstract string Kind { get; }
}

/// <summary><c>app = "NAME"</c>: the requests go to the workers of <c>[app.NAME]</c>.</summary>
public sealed record AppTarget(string App) : RouteTarget
{
    public override string Kind => "app";
}

/// <summary><c>static = "DIR"</c>: files under DIR, answered by the front without a worker.</summary>
public sealed record StaticTarget(string Directory) : RouteTarget
{
    public override string Kind => "static";
}

/// <summary>
/// <c>cgi = { path = "cgi-bin", extensions = [".cgi"] }</c>: CGI scripts (RFC 3875) run by the front, one process per
/// request, as the route's app's user: a directory of scripts (only those with one of the extensions, when given),
/// or one script that answers every path under the route.
/// </summary>
public sealed record CgiTarget : RouteTarget
{
    public override string Kind => "cgi";

    /// <summary>A directory of scripts or a single script, absolute.</summary>
    public string Path { get; init; } = "";

    /// <summary>".cgi", ".py": the endings a script's name must have; empty for every executable.</summary>
    public IReadOnlyList<string> Extensions { get; init; } = [];

    public bool Equals(CgiTarget? other) => other is not null && Path == other.Path && Extensions.SequenceEqual(other.Extensions);

    public override int GetHashCode() => HashCode.Combine(Path, Extensions.Count);

    private static readonly TextType ExtensionType = new("an extension such as \".cgi\"", text =>
        text.Length < 2 || text[0] != '.' || text.IndexOfAny(['/', '\\', ' ']) >= 0 ? ($"\"{text}\" is not a file name extension", "write it with its dot: \".cgi\", \".py\"") : null);

    public static ConfigTable<CgiTarget> Table { get; } = CreateTable();

    private static ConfigTable<CgiTarget> CreateTable()
    {
        var table = new ConfigTable<CgiTarget>("route.cgi", "CGI scripts run by the front.", () => new CgiTarget())
        {
            { "path", Types.Path, "A directory of CGI scripts (the path below the route names the script; the rest is PATH_INFO), or one script for every path under the route; relative to this file. Required.", c => c.Path, (c, v) => c with { Path = v }, "required" },
            { "extensions", Types.List(ExtensionType), "Only files with these endings are scripts, e.g. [\".cgi\", \".py\"]. Default: every executable file.", c => c.Extensions, (c, v) => c with { Extensions = v }, "every executable" },
        };
        table.Check((cgi, node, context, path) =>
        {
            if (node["path"] is null)
            {
                context.Error(node, path, "a cgi route needs a path", "cgi = { path = \"cgi-bin\" }");
            }
            return cgi;
        });
        return table;
    }
}

/// <summary><c>redirect = { status = 301, location = "https://{host}{path}" }</c>.</summary>
public sealed record RedirectTarget : RouteTarget
{
    public override string Kind => "redirect";

    public int Status { get; init; } = 302;

    public RedirectTemplate Location { get; init; } = RedirectTemplate.Empty;

    public static ConfigTable<RedirectTarget> Table { get; } = CreateTable();

    private static ConfigTable<RedirectTarget> CreateTable()
    {
        var table = new ConfigTable<RedirectTarget>("route.redirect", "A redirect answered by the front.", () => new RedirectTarget())
        {
            { "status", new ChoiceNumberType([301, 302, 303, 307, 308]), "The redirect status: 301, 302, 303, 307 or 308.", r => r.Status, (r, v) => r with { Status = v } },
            { "location", new RedirectTemplateType(), "Where to: a URL or path; {scheme}, {host}, {path} (the whole request path, the route's prefix included), {query} (with its '?', or empty) and {uri} (path and query) are filled in. Required.", r => r.Location, (r, v) => r with { Location = v }, "required" },
        };
        table.Check((redirect, node, context, path) =>
        {
            if (node["location"] is null)
            {
                context.Error(node, path, "a redirect needs a location", "redirect = { status = 301, location = \"https://{host}{uri}\" }");
            }
            return redirect;
        });
        return table;
    }
}

/// <summary><c>respond = { status = 200, headers = { ... }, body = "..." }</c>: a fixed answer from the front.</summary>
public sealed record RespondTarget : RouteTarget
{
    public override string Kind => "respond";

    public int Status { get; init; } = 200;

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public string Body { get; init; } = "";

    public static ConfigTable<RespondTarget> Table { get; } = new("route.respond", "A fixed response answered by the front.", () => new RespondTarget())
    {
        { "status", Types.Count(100, 599), "The status code.", r => r.Status, (r, v) => r with { Status = v } },
        { "headers", new StringMapType("header names"), "Response header fields, e.g. { Content-Type = \"text/plain\" }.", r => r.Headers, (r, v) => r with { Headers = v } },
        { "body", Types.Text, "The response body (UTF-8).", r => r.Body, (r, v) => r with { Body = v } },
    };
}

/// <summary>
/// <c>proxy = "NAME"</c>: the requests go to the servers of <c>[upstream.NAME]</c>; <c>proxy = "http://HOST:PORT"</c>
/// (or <c>"unix:PATH"</c>): to that one server, with the upstream defaults.
/// </summary>
public sealed record ProxyTarget : RouteTarget
{
    public override string Kind => "proxy";

    /// <summary>The name of an <c>[upstream.NAME]</c>; null when <see cref="Server"/> is given.</summary>
    public string? Upstream { get; init; }

    /// <summary>The one server of <c>proxy = "http://..."</c>.</summary>
    public UpstreamAddress? Server { get; init; }

    /// <summary>Upstream names have no colon; every server address has one (scheme, port or unix:).</summary>
    public static bool LooksLikeAddress(string text) => text.Contains(':');

    /// <summary>The upstream this target sends to, from the configuration's <c>[upstream.NAME]</c> tables.</summary>
    public UpstreamConfig? Resolve(IReadOnlyList<UpstreamConfig> upstreams) =>
        Server is { } server ? UpstreamConfig.ForOneServer(server) : upstreams.FirstOrDefault(upstream => upstream.Name == Upstream);
}
