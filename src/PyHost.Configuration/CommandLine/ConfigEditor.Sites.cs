using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.CommandLine;

// Settings of sites and routes: --static routes, keys of every site (--max-request-body, --compress, --error-page),
// keys of every route of a kind (--no-request-buffering for app routes, --static-index for static ones).
public sealed partial class ConfigEditor
{
    private readonly List<(string Prefix, string Directory, SettingOrigin Origin)> _staticRoutes = [];
    private readonly List<(string Key, TomlNode Value, SettingOrigin Origin)> _siteSettings = [];
    private readonly List<(string TargetKind, string Key, TomlNode Value, SettingOrigin Origin)> _routeSettings = [];

    /// <summary><c>--static URL_PREFIX=DIR</c>: a static route on the default site.</summary>
    public void AddStatic(TomlNode value, SettingOrigin origin)
    {
        foreach (TomlNode item in Items(value))
        {
            string text = item is TomlScalar scalar ? scalar.Value as string ?? scalar.Text : "";
            int equals = text.IndexOf('=');
            if (equals < 0 || equals == text.Length - 1)
            {
                Diagnostics.Error(origin, "static", $"expected URL_PREFIX=DIR, not '{text}'", "e.g. --static /static/=./staticfiles");
                continue;
            }
            string prefix = text[..equals].Trim();
            _staticRoutes.Add((prefix.StartsWith('/') ? prefix : "/" + prefix, text[(equals + 1)..], origin));
        }
    }

    /// <summary>
    /// A key of every site: "limits.max_body_size", "compression" (true: on with the defaults, unless a site has its
    /// own table), "compression.codings", "compression.levels.gzip", "error_pages" (merged per status). A site is made
    /// for the flags' app when there is none.
    /// </summary>
    public void SetSites(string key, TomlNode value, SettingOrigin origin) => _siteSettings.Add((key, value, origin));

    /// <summary>
    /// A key of every route whose target is of <paramref name="targetKind"/> ("app", "static"; <see cref="RouteTarget.Kind"/>):
    /// "request_buffering" for app routes, "index" for static ones, in the flags' site and the file's sites alike.
    /// </summary>
    public void SetRoutes(string targetKind, string key, TomlNode value, SettingOrigin origin) => _routeSettings.Add((targetKind, key, value, origin));

    private void AddStaticRoutes()
    {
        SettingOrigin origin = _staticRoutes[0].Origin;
        var routes = new List<RouteConfig>();
        foreach (var (prefix, directory, routeOrigin) in _staticRoutes)
        {
            // Read through the route table's own keys, so a flag's prefix is checked as a file's path is.
            const string path = "static";
            int errors = Diagnostics.Items.Count(item => item.IsError);
            RouteConfig route = RouteConfig.Table.Find("path")!.Read(new RouteConfig(), TomlValues.Text(prefix, routeOrigin), Context, path);
            route = RouteConfig.Table.Find("static")!.Read(route, TomlValues.Text(directory, routeOrigin), Context, path);
            if (Diagnostics.Items.Count(item => item.IsError) == errors)
            {
                routes.Add(route);
            }
        }
        if (_config.Sites.Count == 0)
        {
            if (_config.Apps.Count > 1)
            {
                Diagnostics.Error(origin, "static", $"--static adds routes to the default site, and the config file defines {_config.Apps.Count} apps but no [[site]]",
                    "add [[site]] entries whose routes say which app serves what, with static = \"DIR\" routes among them");
                return;
            }
            AddDefaultSite(routes, _staticRoutes.Select(route => route.Origin).ToList());
            return;
        }
        int defaultSite = _config.Sites.Select((site, index) => (site, index)).Where(pair => pair.site.IsDefault).Select(pair => pair.index).DefaultIfEmpty(-1).First();
        if (defaultSite < 0 && _config.Sites.Count > 1)
        {
            Diagnostics.Error(origin, "static", "--static adds routes to the default site, and the config file's sites all have host names",
                "add a [[site.route]] with static = \"DIR\" to the site it belongs to");
            return;
        }
        int target = defaultSite < 0 ? 0 : defaultSite;
        SiteConfig site = _config.Sites[target];
        for (int i = 0; i < routes.Count; i++)
        {
            _origins[$"site[{target}].route[{site.Routes.Count + i}].path"] = _staticRoutes[i].Origin;
            _origins[$"site[{target}].route[{site.Routes.Count + i}].static"] = _staticRoutes[i].Origin;
        }
        _config = _config with { Sites = _config.Sites.Select((one, at) => at == target ? one with { Routes = [.. one.Routes, .. routes] } : one).ToList() };
    }

    /// <summary>
    /// The site the flags describe when nothing defines one: <paramref name="before"/> (static routes), then / to the
    /// only app. Not made when there are several apps: the loader then says the file needs its own [[site]].
    /// </summary>
    private bool AddDefaultSite(IReadOnlyList<RouteConfig> before, IReadOnlyList<SettingOrigin> beforeOrigins)
    {
        if (_config.Apps.Count > 1)
        {
            return false;
        }
        if (_config.Apps.Count == 0)
        {
            _config = _config with { Apps = [new AppConfig()] };
        }
        var routes = before.Append(new RouteConfig { Target = new AppTarget(_config.Apps[0].Name) }).ToList();
        _config = _config with { Sites = [new SiteConfig { Routes = routes }] };
        for (int i = 0; i < before.Count; i++)
        {
            _origins[$"site[0].route[{i}].path"] = beforeOrigins[i];
            _origins[$"site[0].route[{i}].static"] = beforeOrigins[i];
        }
        _origins[$"site[0].route[{before.Count}].app"] = new DefaultOrigin("the only app");
        return true;
    }

    private void ApplySiteSettings()
    {
        if (_siteSettings.Count == 0 || (_config.Sites.Count == 0 && !AddDefaultSite([], [])))
        {
            return;
        }
        foreach (var (key, value, origin) in _siteSettings)
        {
            _config = _config with { Sites = _config.Sites.Select((site, index) => SetSiteKey(site, index, key, value, origin)).ToList() };
        }
    }

    private SiteConfig SetSiteKey(SiteConfig site, int index, string key, TomlNode value, SettingOrigin origin)
    {
        string path = $"site[{index}].{key}";
        ReadContext context = ContextFor(index);
        _origins[path] = origin;
        string[] parts = key.Split('.');
        switch (parts)
        {
            case ["limits", var limit]:
                return site with { Limits = LimitsConfig.Table.Find(limit)!.Read(site.Limits, value, context, path) };
            case ["compression"]:
                // On keeps a site's own table; off removes it.
                SiteConfig read = SiteConfig.Table.Find("compression")!.Read(site, value, context, path);
                return read.Compression is null ? read : site with { Compression = site.Compression ?? read.Compression };
            case ["compression", "levels", var coding]:
                CompressionConfig withLevels = site.Compression ?? new CompressionConfig();
                _origins[$"site[{index}].compression"] = origin;
                _origins[$"site[{index}].compression.levels"] = origin;   // printed as one inline table
                return site with { Compression = withLevels with { Levels = CompressionLevels.Table.Find(coding)!.Read(withLevels.Levels, value, context, path) } };
            case ["compression", var compressionKey]:
                _origins[$"site[{index}].compression"] = origin;
                return site with { Compression = CompressionConfig.Table.Find(compressionKey)!.Read(site.Compression ?? new CompressionConfig(), value, context, path) };
            case ["error_pages"]:
                // Per status, as -e merges per variable: a later layer's 404 page replaces an earlier one's.
                IReadOnlyDictionary<string, string> given = SiteConfig.Table.Find("error_pages")!.Read(new SiteConfig(), value, context, path).ErrorPages;
                var merged = new Dictionary<string, string>(site.ErrorPages, StringComparer.Ordinal);
                foreach (var (status, file) in given)
                {
                    merged[status] = file;
                    _origins[$"{path}.{status}"] = origin;
                }
                return site with { ErrorPages = merged };
            default:
                return SiteConfig.Table.Find(key)!.Read(site, value, context, path);
        }
    }

    private void ApplyRouteSettings()
    {
        if (_routeSettings.Count == 0)
        {
            return;
        }
        if (_config.Sites.Count == 0 && _routeSettings.Any(setting => setting.TargetKind == "app"))
        {
            AddDefaultSite([], []);
        }
        foreach (var (kind, key, value, origin) in _routeSettings)
        {
            int applied = 0;
            _config = _config with
            {
                Sites = _config.Sites.Select((site, siteIndex) => site with
                {
                    Routes = site.Routes.Select((route, routeIndex) =>
                    {
                        if (route.Target?.Kind != kind)
                        {
                            return route;
                        }
                        string path = $"site[{siteIndex}].route[{routeIndex}].{key}";
                        _origins[path] = origin;
                        return RouteConfig.Table.Find(key)!.Read(route, value, ContextFor(applied++), path);
                    }).ToList(),
                }).ToList(),
            };
            if (applied == 0 && IsValidForRoutes(key, value))
            {
                Diagnostics.Warning(origin, key, $"this applies to {kind} routes, and there is none: ignored",
                    kind == "static" ? "add a static route: --static URL_PREFIX=DIR, or static = \"DIR\" in a [[site.route]]" : null);
            }
        }
    }

    /// <summary>Reads a route setting no route takes, for its errors: a bad value is an error even when it would be ignored.</summary>
    private bool IsValidForRoutes(string key, TomlNode value)
    {
        int errors = Diagnostics.Items.Count(item => item.IsError);
        RouteConfig.Table.Find(key)!.Read(new RouteConfig(), value, Context, key);
        return Diagnostics.Items.Count(item => item.IsError) == errors;
    }
}
