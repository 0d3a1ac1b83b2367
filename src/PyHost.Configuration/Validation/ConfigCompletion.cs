using System.Globalization;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Validation;

/// <summary>
/// Fills in what no source set, so the model the server gets (and <c>config --print</c> shows) is complete: a
/// listener (127.0.0.1:8000, or 0.0.0.0:$PORT as gunicorn does), the app of a config without one, a default site
/// routing / to the only app, worker counts ($WEB_CONCURRENCY, else the cores), trusted proxies
/// ($FORWARDED_ALLOW_IPS, as gunicorn reads it), inherited timeouts and limits, buffering of app routes.
/// </summary>
public static class ConfigCompletion
{
    public static PyHostConfig Complete(PyHostConfig config, ConfigEnvironment environment, DiagnosticBag diagnostics)
    {
        var origins = new Dictionary<string, SettingOrigin>(config.Provenance.Origins, StringComparer.Ordinal);

        if (config.Listeners.Count == 0)
        {
            ListenerConfig listener = new();
            if (environment.Variable("PORT") is { Length: > 0 } port)
            {
                if (ListenAddress.TryParse($"0.0.0.0:{port}", environment.WorkingDirectory, out ListenAddress? address, out _))
                {
                    listener = listener with { Address = address };
                    origins["listen[0].address"] = new EnvironmentOrigin("PORT");
                }
                else
                {
                    diagnostics.Error(new EnvironmentOrigin("PORT"), "listen[0].address", $"$PORT is '{port}', not a port number (0-65535)");
                }
            }
            config = config with { Listeners = [listener] };
        }
        config = config with { Listeners = config.Listeners.Select(listener => listener with { Limits = listener.Limits.Over(LimitsConfig.Defaults) }).ToList() };

        if (config.Provenance.Of("server.forwarded_allow_ips") is DefaultOrigin && environment.Variable("FORWARDED_ALLOW_IPS") is { Length: > 0 } trusted)
        {
            var origin = new EnvironmentOrigin("FORWARDED_ALLOW_IPS");
            var context = new ReadContext(diagnostics, origins, environment.WorkingDirectory, lenient: true);
            config = config with { Server = ServerConfig.Table.Find("forwarded_allow_ips")!.Read(config.Server, TomlValues.Text(trusted, origin), context, "server.forwarded_allow_ips") };
            origins["server.forwarded_allow_ips"] = origin;
        }

        if (config.Apps.Count == 0 && config.Sites.Count == 0)
        {
            config = config with { Apps = [new AppConfig()] };
        }
        if (config.Sites.Count == 0)
        {
            if (config.Apps.Count == 1)
            {
                config = config with { Sites = [new SiteConfig { Routes = [new RouteConfig { Target = new AppTarget(config.Apps[0].Name) }] }] };
                origins["site[0].route[0].app"] = new DefaultOrigin("the only app");
            }
            else
            {
                diagnostics.Error(config.Provenance.Locate("app"), "site", $"there are {config.Apps.Count} apps and no [[site]] to say which requests go to which",
                    "add [[site]] entries with [[site.route]] tables: path = \"/\" and app = \"NAME\"");
            }
        }
        // The front buffers app requests and responses unless told not to (nginx's proxy_request_buffering and proxy_buffering).
        config = config with
        {
            Sites = config.Sites.Select(site => site with
            {
                Routes = site.Routes.Select(route => route.Target is AppTarget
                    ? route with { RequestBuffering = route.RequestBuffering ?? true, ResponseBuffering = route.ResponseBuffering ?? true }
                    : route).ToList(),
            }).ToList(),
        };

        int workers = environment.ProcessorCount;
        SettingOrigin workersOrigin = new DefaultOrigin("the number of CPU cores");
        if (environment.Variable("WEB_CONCURRENCY") is { Length: > 0 } concurrency)
        {
            if (int.TryParse(concurrency, NumberStyles.None, CultureInfo.InvariantCulture, out int fromEnvironment) && fromEnvironment > 0)
            {
                workers = fromEnvironment;
                workersOrigin = new EnvironmentOrigin("WEB_CONCURRENCY");
            }
            else
            {
                diagnostics.Warning(new EnvironmentOrigin("WEB_CONCURRENCY"), "workers", $"$WEB_CONCURRENCY is '{concurrency}', not a number of workers: ignored");
            }
        }
        config = config with
        {
            Apps = config.Apps.Select(app =>
            {
                string prefix = $"app.{app.Name}";
                if (app.Workers is null)
                {
                    origins[$"{prefix}.workers"] = workersOrigin;
                }
                if (app.GracefulTimeout is null)
                {
                    origins[$"{prefix}.graceful_timeout"] = Inherited(config, "server.graceful_timeout");
                }
                if (app.MaxQueuedRequests is null)
                {
                    origins[$"{prefix}.max_queued_requests"] = Inherited(config, "server.max_queued_requests");
                }
                return app with
                {
                    Workers = app.Workers ?? workers,
                    GracefulTimeout = app.GracefulTimeout ?? config.Server.GracefulTimeout,
                    MaxQueuedRequests = app.MaxQueuedRequests ?? config.Server.MaxQueuedRequests,
                };
            }).ToList(),
        };
        return config with { Provenance = new ConfigProvenance(origins) };
    }

    private static SettingOrigin Inherited(PyHostConfig config, string path) =>
        config.Provenance.Of(path) is DefaultOrigin ? new DefaultOrigin($"{path}") : config.Provenance.Of(path);
}
