using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Validation;

/// <summary>
/// Checks across tables, once every source is applied: routes name apps that exist, no two sites claim a host name,
/// no two listeners share an address, TLS settings fit together, every app is used. All problems are reported, each
/// at the line of the key it is about.
/// </summary>
public static class ConfigValidator
{
    public static void Validate(PyHostConfig config, DiagnosticBag diagnostics)
    {
        CheckListeners(config, diagnostics);
        CheckSites(config, diagnostics);
        CheckApps(config, diagnostics);
        CheckRoutes(config, diagnostics);
        CheckUpstreams(config, diagnostics);
        CheckTls(config, diagnostics);
        CheckAdmin(config, diagnostics);
    }

    /// <summary>An admin address on TCP without a token would let anyone who reaches it reload or scale the site.</summary>
    private static void CheckAdmin(PyHostConfig config, DiagnosticBag diagnostics)
    {
        if (config.Admin.Listen is { } listen && config.Admin.TokenFile is null)
        {
            diagnostics.Error(At(config, "admin.listen"), "admin.listen", $"the admin address '{listen}' has no token_file",
                "set admin.token_file (--admin-token-file) to a file holding a secret of 16 or more characters");
        }
    }

    private static SettingOrigin? At(PyHostConfig config, string path) => config.Provenance.Locate(path);

    private static void CheckListeners(PyHostConfig config, DiagnosticBag diagnostics)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < config.Listeners.Count; i++)
        {
            string canonical = config.Listeners[i].Address.Canonical;
            if (seen.TryGetValue(canonical, out int first))
            {
                diagnostics.Error(At(config, $"listen[{i}].address"), $"listen[{i}].address",
                    $"'{config.Listeners[i].Address.Text}' is the same address as listen[{first}] ('{config.Listeners[first].Address.Text}')",
                    "each address may be listened on once; remove one of them");
                continue;
            }
            seen[canonical] = i;
        }
    }

    private static void CheckSites(PyHostConfig config, DiagnosticBag diagnostics)
    {
        var claimed = new Dictionary<string, int>(StringComparer.Ordinal);
        int? defaultSite = null;
        for (int i = 0; i < config.Sites.Count; i++)
        {
            SiteConfig site = config.Sites[i];
            for (int h = 0; h < site.Hosts.Count; h++)
            {
                string host = site.Hosts[h].Text;
                if (claimed.TryGetValue(host, out int owner))
                {
                    diagnostics.Error(At(config, $"site[{i}].hosts"), $"site[{i}].hosts[{h}]",
                        owner == i ? $"'{host}' is listed twice" : $"'{host}' is already a host of site[{owner}] ({config.Sites[owner].DisplayName})",
                        "a host name belongs to one site");
                    continue;
                }
                claimed[host] = i;
            }
            if (site.IsDefault)
            {
                if (defaultSite is { } other)
                {
                    diagnostics.Error(At(config, $"site[{i}]"), $"site[{i}]",
                        $"two default sites: site[{other}] and site[{i}] (a site without hosts, or with default = true, is the default)",
                        "give one of them hosts = [...], or remove default = true");
                }
                defaultSite ??= i;
            }
            if (site.Routes.Count == 0)
            {
                diagnostics.Error(At(config, $"site[{i}]"), $"site[{i}]", $"site '{site.DisplayName}' has no routes",
                    "add [[site.route]] entries, e.g. path = \"/\" and app = \"main\"");
            }
        }
    }

    private static void CheckApps(PyHostConfig config, DiagnosticBag diagnostics)
    {
        foreach (AppConfig app in config.Apps)
        {
            string prefix = $"app.{app.Name}";
            if (app.Module is not null && app.Paste is not null)
            {
                diagnostics.Error(At(config, $"{prefix}.paste"), $"{prefix}.paste",
                    $"give either module ({config.Provenance.Of($"{prefix}.module")}) or paste ({config.Provenance.Of($"{prefix}.paste")}), not both",
                    "APP on the command line is the module; --paste names an ini file instead");
            }
            if (app.WorkersMax is { } most && app.Workers is { } least && most < least)
            {
                diagnostics.Error(At(config, $"{prefix}.workers_max"), $"{prefix}.workers_max",
                    $"workers_max ({most}) is less than workers ({least}, from {config.Provenance.Of($"{prefix}.workers")})",
                    "workers_max is the most workers scaling may run: set it at least as high as workers");
            }
        }
    }

    private static void CheckRoutes(PyHostConfig config, DiagnosticBag diagnostics)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var appNames = config.Apps.Select(app => app.Name).ToList();
        for (int i = 0; i < config.Sites.Count; i++)
        {
            for (int r = 0; r < config.Sites[i].Routes.Count; r++)
            {
                RouteConfig route = config.Sites[i].Routes[r];
                if (route.Target is not AppTarget target)
                {
                    continue;
                }
                string path = $"site[{i}].route[{r}].app";
                if (config.App(target.App) is null)
                {
                    string? suggestion = Spelling.Suggest(target.App, appNames);
                    diagnostics.Error(At(config, path), path, $"route names app '{target.App}', which is not defined",
                        suggestion is not null ? $"did you mean '{suggestion}'?"
                        : appNames.Count > 0 ? $"the apps are: {string.Join(", ", appNames)}"
                        : $"define it: [app.{target.App}] with module = \"...\"");
                    continue;
                }
                used.Add(target.App);
            }
        }
        foreach (AppConfig app in config.Apps.Where(app => !used.Contains(app.Name)))
        {
            diagnostics.Warning(At(config, $"app.{app.Name}"), $"app.{app.Name}", $"no route uses app '{app.Name}': it would start workers that get no requests",
                $"add a route with app = \"{app.Name}\", or remove [app.{app.Name}]");
        }
    }

    private static void CheckUpstreams(PyHostConfig config, DiagnosticBag diagnostics)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var names = config.Upstreams.Select(upstream => upstream.Name).ToList();
        for (int i = 0; i < config.Sites.Count; i++)
        {
            for (int r = 0; r < config.Sites[i].Routes.Count; r++)
            {
                if (config.Sites[i].Routes[r].Target is not ProxyTarget { Upstream: { } name })
                {
                    continue;
                }
                string path = $"site[{i}].route[{r}].proxy";
                if (!names.Contains(name))
                {
                    string? suggestion = Spelling.Suggest(name, names);
                    diagnostics.Error(At(config, path), path, $"route names upstream '{name}', which is not defined",
                        suggestion is not null ? $"did you mean '{suggestion}'?"
                        : $"define it: [upstream.{name}] with servers = [\"http://127.0.0.1:9000\"], or write one server here: proxy = \"http://HOST:PORT\"");
                    continue;
                }
                used.Add(name);
            }
        }
        foreach (UpstreamConfig upstream in config.Upstreams)
        {
            string prefix = $"upstream.{upstream.Name}";
            if (!used.Contains(upstream.Name))
            {
                diagnostics.Warning(At(config, prefix), prefix, $"no route uses upstream '{upstream.Name}'", $"add a route with proxy = \"{upstream.Name}\", or remove [upstream.{upstream.Name}]");
            }
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (UpstreamServerConfig server in upstream.Servers)
            {
                string key = server.Address.UnixSocketPath ?? server.Address.UrlPrefix;
                if (!seen.Add(key))
                {
                    diagnostics.Error(At(config, $"{prefix}.servers"), $"{prefix}.servers", $"'{server.Address.Text}' is listed twice", "give a server a larger weight instead of listing it again");
                }
            }
            if (upstream.HealthCheck is { } check && check.Timeout > check.Interval)
            {
                diagnostics.Warning(At(config, $"{prefix}.health_check"), $"{prefix}.health_check",
                    $"the check timeout ({DurationText.Format(check.Timeout)}) is longer than its interval ({DurationText.Format(check.Interval)}): a slow server is checked again before the last check ended",
                    "make timeout shorter than interval");
            }
        }
    }

    private static void CheckTls(PyHostConfig config, DiagnosticBag diagnostics)
    {
        bool anyTlsListener = config.Listeners.Any(listener => listener.Tls != ListenerTls.None);
        bool anySiteFiles = config.Sites.Any(site => site.Tls is { IsAuto: false });
        for (int i = 0; i < config.Listeners.Count; i++)
        {
            ListenerConfig listener = config.Listeners[i];
            if (listener.Tls == ListenerTls.Files && listener.Certificate is null && !anySiteFiles)
            {
                diagnostics.Error(At(config, $"listen[{i}].tls"), $"listen[{i}].tls", "tls = \"files\" but no certificate is given, on this listener or on any site",
                    "add certificate and key to this [[listen]], or tls = { certificate, key } to a [[site]]; or use tls = \"auto\"");
            }
        }
        for (int i = 0; i < config.Sites.Count; i++)
        {
            SiteConfig site = config.Sites[i];
            if (site.Tls is not null && !anyTlsListener)
            {
                diagnostics.Error(At(config, $"site[{i}].tls"), $"site[{i}].tls", $"site '{site.DisplayName}' has a certificate but no listener serves TLS",
                    "add a [[listen]] with address = \"0.0.0.0:443\" and tls = \"files\" (or \"auto\")");
            }
            if (site.Tls is { IsAuto: true } && site.Hosts.FirstOrDefault(host => host.IsWildcard) is { } wildcard)
            {
                diagnostics.Error(At(config, $"site[{i}].tls"), $"site[{i}].tls", $"tls = \"auto\" cannot obtain a certificate for '{wildcard.Text}': wildcards need the DNS-01 challenge, which PyHost does not answer",
                    "give the site certificate files: tls = { certificate = \"...\", key = \"...\" }");
            }
            if (site.Hsts is not null && !anyTlsListener)
            {
                diagnostics.Warning(At(config, $"site[{i}].hsts"), $"site[{i}].hsts", "hsts is sent on HTTPS responses only, and no listener serves TLS");
            }
        }
    }
}
