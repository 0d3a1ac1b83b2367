using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>
/// One <c>[[site]]</c>: the host names it answers, its certificate, and its routes. A site without <c>hosts</c> (or
/// with <c>default = true</c>) answers every host name no other site claims.
/// </summary>
public sealed record SiteConfig
{
    /// <summary>A label for logs; default: the first host name, or "default".</summary>
    public string? Name { get; init; }

    public IReadOnlyList<HostPattern> Hosts { get; init; } = [];

    /// <summary>Set explicitly with <c>default = true</c>; see <see cref="IsDefault"/>.</summary>
    public bool Default { get; init; }

    public SiteTls? Tls { get; init; }

    public HstsConfig? Hsts { get; init; }

    /// <summary>Peers whose X-Forwarded-*/Forwarded headers are believed; null = the server's list.</summary>
    public IReadOnlyList<string>? ForwardedAllowIps { get; init; }

    public LimitsConfig Limits { get; init; } = new();

    /// <summary>Response compression; null = off.</summary>
    public CompressionConfig? Compression { get; init; }

    /// <summary>
    /// The site's own pages by status ("404", "500", "502", "503", "504", or "50x" for 500–599), as absolute file
    /// paths: sent instead of the front's short page (nginx error_page). 404 covers missing static files; the 50x ones
    /// cover the front's answers when the app fails or is unavailable.
    /// </summary>
    public IReadOnlyDictionary<string, string> ErrorPages { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<RouteConfig> Routes { get; init; } = [];

    public bool IsDefault => Default || Hosts.Count == 0;

    public string DisplayName => Name ?? (Hosts.Count > 0 ? Hosts[0].Text : "default");

    /// <summary>Whether this site claims a request's host name (no port).</summary>
    public bool Matches(string host) => Hosts.Any(pattern => pattern.Matches(host));

    /// <summary>
    /// The site for a request's host: an exact name first, then the longest matching wildcard, then the default site
    /// (nginx's server_name order). Null when none fits and there is no default site.
    /// </summary>
    public static SiteConfig? Select(IReadOnlyList<SiteConfig> sites, string host)
    {
        string name = host.TrimEnd('.');
        SiteConfig? exact = sites.FirstOrDefault(site => site.Hosts.Any(pattern => !pattern.IsWildcard && pattern.Matches(name)));
        if (exact is not null)
        {
            return exact;
        }
        SiteConfig? wildcard = null;
        int longest = -1;
        foreach (SiteConfig site in sites)
        {
            foreach (HostPattern pattern in site.Hosts.Where(pattern => pattern.IsWildcard && pattern.Matches(name)))
            {
                if (pattern.Text.Length > longest)
                {
                    wildcard = site;
                    longest = pattern.Text.Length;
                }
            }
        }
        return wildcard ?? sites.FirstOrDefault(site => site.IsDefault);
    }

    public static ConfigTable<SiteConfig> Table { get; } = new("[[site]]", "A site: host names, certificate, limits and routes.", () => new SiteConfig())
    {
        { "name", Types.Optional(Types.NonEmptyText), "A label for logs and status. Default: the first host name, or \"default\".", s => s.Name, (s, v) => s with { Name = v }, "the first host name" },
        { "hosts", Types.List(new HostPatternType()), "Host names this site answers: \"example.com\", \"*.example.com\" (any name below). Empty or missing: the default site.", s => s.Hosts, (s, v) => s with { Hosts = v } },
        { "default", Types.Boolean, "Also answer host names no other site claims (implied when hosts is empty).", s => s.Default, (s, v) => s with { Default = v } },
        { "tls", new SiteTlsType(), "The site's certificate: \"auto\" (obtained for its host names), or { certificate = \"PEM file\", key = \"PEM file\" }. Needs a listener with tls.", s => s.Tls, (s, v) => s with { Tls = v }, "none" },
        { "hsts", new HstsType(), "Send Strict-Transport-Security on HTTPS: true (max-age one year), or { max_age, include_subdomains, preload }.", s => s.Hsts, (s, v) => s with { Hsts = v }, "false" },
        { "forwarded_allow_ips", Types.Optional(Types.List(Types.AddressRange, splitCommasWhenLenient: true)), "Peers whose X-Forwarded-* and Forwarded headers are believed: addresses, CIDR ranges, \"*\", \"unix\". Default: [server] forwarded_allow_ips.", s => s.ForwardedAllowIps, (s, v) => s with { ForwardedAllowIps = v }, "the [server] list" },
        { "limits", Types.Table(LimitsConfig.Table), "Limits for this site's requests (body size, header sizes); unset ones come from the listener.", s => s.Limits, (s, v) => s with { Limits = v } },
        { "compression", new CompressionType(), "Compress responses (the app's and static files) with zstd, br or gzip as the client's Accept-Encoding allows: true for the defaults, or { codings, min_length, levels }.", s => s.Compression, (s, v) => s with { Compression = v }, "false" },
        { "error_pages", new ErrorPagesType(), "The site's own pages instead of the front's short ones: { 404 = \"404.html\", 50x = \"50x.html\" } (also 500, 502, 503, 504), files relative to this file. 404 is for missing static files; 50x for the front's answers when the app fails. nginx: error_page.", s => s.ErrorPages, (s, v) => s with { ErrorPages = v } },
        { "route", Types.TableArray(RouteConfig.Table), "The site's routes, [[site.route]].", s => s.Routes, (s, v) => s with { Routes = v } },
    };
}

public sealed class HostPatternType : Keys.ValueType<HostPattern>
{
    public override string Expected => "a host name: \"example.com\" or \"*.example.com\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out HostPattern value)
    {
        value = null!;
        if (node is not TomlScalar { Value: string text })
        {
            context.Expected(node, path, Expected);
            return false;
        }
        if (!HostPattern.TryParse(text, out HostPattern? pattern, out string? error, out string? hint))
        {
            context.Error(node, path, error, hint);
            return false;
        }
        value = pattern;
        return true;
    }

    public override PrintedValue Print(HostPattern value) => new InlineValue(TomlDocumentReader.Quote(value.Text));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["pattern"] = @"^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$|^\[[0-9A-Fa-f:.]+\]$";
    }
}

/// <summary><c>error_pages = { 404 = "404.html", 50x = "50x.html" }</c>: statuses to files, relative to the config file.</summary>
public sealed class ErrorPagesType : Keys.ValueType<IReadOnlyDictionary<string, string>>
{
    public static readonly IReadOnlyList<string> Statuses = ["404", "500", "502", "503", "504", "50x"];

    private static readonly PathType FileType = new("a file path");

    public override string Expected => "a table of status (404, 500, 502, 503, 504 or 50x) = \"file\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out IReadOnlyDictionary<string, string> value)
    {
        var pages = new Dictionary<string, string>(StringComparer.Ordinal);
        value = pages;
        if (node is not TomlTable table)
        {
            context.Expected(node, path, Expected, "error_pages = { 404 = \"404.html\", 50x = \"50x.html\" }");
            return false;
        }
        bool ok = true;
        foreach (TomlEntry entry in table.Entries)
        {
            string keyPath = ReadContext.Join(path, entry.Key);
            if (!Statuses.Contains(entry.Key))
            {
                context.Diagnostics.Error(entry.KeyOrigin, keyPath, $"'{entry.Key}' is not a status PyHost has a page for",
                    "use 404, 500, 502, 503, 504, or 50x for all of 500-599 (the front answers the others without a page of its own)");
                ok = false;
                continue;
            }
            context.Origins[keyPath] = entry.KeyOrigin;
            if (FileType.TryRead(entry.Value, context, keyPath, out string file))
            {
                pages[entry.Key] = file;
            }
            else
            {
                ok = false;
            }
        }
        return ok;
    }

    public override PrintedValue Print(IReadOnlyDictionary<string, string> value) =>
        new InlineValue(value.Count == 0 ? "{}" : "{ " + string.Join(", ", value.Select(pair => $"{StringMapType.TomlKey(pair.Key)} = {TomlDocumentReader.Quote(pair.Value)}")) + " }");

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "object";
        schema["propertyNames"] = new JsonObject { ["enum"] = new JsonArray(Statuses.Select(status => (JsonNode)JsonValue.Create(status)!).ToArray()) };
        schema["additionalProperties"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 };
    }
}
