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
