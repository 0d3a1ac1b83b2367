using System.Collections.Frozen;
using PyHost.Configuration.Model;
using PyHost.Http.Access;

namespace PyHost.Http.Routing;

/// <summary>A request's route: its site, the route, and what answers it.</summary>
/// <param name="MountPrefix">The route's path prefix as the app sees it in SCRIPT_NAME: "" for "/".</param>
public sealed record RouteMatch(SiteFront Site, RouteConfig Route, RouteEndpoint Endpoint, string MountPrefix)
{
    /// <summary>Rate limit, allow/deny and basic auth to pass before the endpoint: <c>await Guards.AdmitAsync(context)</c>.</summary>
    public RouteGuards Guards { get; init; } = RouteGuards.None;
}

/// <summary>
/// The sites and routes of one configuration, compiled for the request path: exact host names in a frozen dictionary,
/// wildcards longest first, then the default site; each site's routes longest prefix first. Immutable: a reload
/// builds a new table and swaps it in whole, so a request never sees half of two configurations.
/// </summary>
public sealed class RouteTable
{
    private readonly FrozenDictionary<string, CompiledSite> _exactHosts;
    private readonly (string Suffix, CompiledSite Site)[] _wildcards;   // ".example.com", longest first
    private readonly CompiledSite? _defaultSite;

    private RouteTable(FrozenDictionary<string, CompiledSite> exactHosts, (string, CompiledSite)[] wildcards, CompiledSite? defaultSite)
    {
        _exactHosts = exactHosts;
        _wildcards = wildcards;
        _defaultSite = defaultSite;
        ServesFiles = Endpoints.OfType<StaticEndpoint>().Any();
    }

    /// <summary>Some route answers with files: the connections may need the zero-copy output for sendfile(2).</summary>
    public bool ServesFiles { get; }

    public static RouteTable Empty { get; } = Build([], SiteFront.Plain, (_, _) => throw new InvalidOperationException());

    /// <summary>Compiles the sites; <paramref name="siteFor"/> and <paramref name="endpointFor"/> make what answers for
    /// each site and route (the pools, the file servers: things with a life of their own, which the caller owns),
    /// <paramref name="guardsFor"/> a route's access rules (<see cref="RouteGuardFactory.For"/>).</summary>
    public static RouteTable Build(IReadOnlyList<SiteConfig> sites, Func<SiteConfig, SiteFront> siteFor, Func<SiteConfig, RouteConfig, RouteEndpoint> endpointFor,
        Func<SiteConfig, RouteConfig, RouteGuards>? guardsFor = null)
    {
        var exact = new Dictionary<string, CompiledSite>(StringComparer.OrdinalIgnoreCase);
        var wildcards = new List<(string, CompiledSite)>();
        CompiledSite? defaultSite = null;
        foreach (SiteConfig site in sites)
        {
            var compiled = new CompiledSite(siteFor(site), site.Routes
                .OrderByDescending(route => route.Path.Length)   // stable: among equal prefixes, the first written wins
                .Select(route => new CompiledRoute(route, endpointFor(site, route), route.Path == "/" ? "" : route.Path, guardsFor?.Invoke(site, route) ?? RouteGuards.None))
                .ToArray());
            foreach (HostPattern host in site.Hosts)
            {
                if (host.IsWildcard)
                {
                    wildcards.Add((host.Text[1..], compiled));   // "*.example.com" -> ".example.com"
                }
                else
                {
                    exact.TryAdd(host.Text, compiled);
                }
            }
            if (site.IsDefault)
            {
                defaultSite ??= compiled;
            }
        }
        return new RouteTable(
            exact.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            wildcards.OrderByDescending(w => w.Item1.Length).ToArray(),
            defaultSite);
    }

    /// <summary>
    /// The route for a request, or null when no site takes the host or no route of the site takes the path and method.
    /// <paramref name="host"/> is the Host without its port (as resolved from trusted proxy headers); <paramref name="path"/>
    /// is the request path as sent, still percent-encoded (a prefix "/blog" takes "/blog" and "/blog/..." only).
    /// </summary>
    public RouteMatch? Match(string host, string path, string method)
    {
        CompiledSite? site = FindSite(host);
        if (site is null)
        {
            return null;
        }
        foreach (CompiledRoute route in site.Routes)
        {
            if (route.Config.MatchesPath(path) && route.Config.MatchesMethod(method))
            {
                return route.Match ??= new RouteMatch(site.Front, route.Config, route.Endpoint, route.MountPrefix) { Guards = route.Guards };
            }
        }
        return null;
    }

    /// <summary>The site for a host name: exact, then the longest wildcard, then the default site.</summary>
    /// <summary>Every route's endpoint, site by site (for the start-up log).</summary>
    public IEnumerable<RouteEndpoint> Endpoints => _exactHosts.Values.Concat(_wildcards.Select(wildcard => wildcard.Site)).Append(_defaultSite)
        .OfType<CompiledSite>().Distinct().SelectMany(site => site.Routes).Select(route => route.Endpoint);

    public SiteFront? FindSiteFor(string host) => FindSite(host)?.Front;

    private CompiledSite? FindSite(string host)
    {
        ReadOnlySpan<char> name = host.AsSpan().TrimEnd('.');
        if (_exactHosts.Count > 0)
        {
            var lookup = _exactHosts.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(name, out CompiledSite? exact))
            {
                return exact;
            }
        }
        foreach ((string suffix, CompiledSite site) in _wildcards)
        {
            // One or more labels before the domain: "a.example.com" and "a.b.example.com", not "example.com".
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return site;
            }
        }
        return _defaultSite;
    }

    private sealed record CompiledSite(SiteFront Front, CompiledRoute[] Routes);

    private sealed class CompiledRoute(RouteConfig config, RouteEndpoint endpoint, string mountPrefix, RouteGuards guards)
    {
        public RouteConfig Config { get; } = config;
        public RouteGuards Guards { get; } = guards;
        public RouteEndpoint Endpoint { get; } = endpoint;
        public string MountPrefix { get; } = mountPrefix;

        /// <summary>The same answer every time: made once, so matching allocates nothing.</summary>
        public RouteMatch? Match;
    }
}
