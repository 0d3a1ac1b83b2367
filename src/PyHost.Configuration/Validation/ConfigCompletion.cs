using System.Globalization;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Validation;

/// <summary>
/// Fills in what no source set, so the model the server gets (and <c>config --print</c> shows) is complete: a
/// listener (127.0.0.1:8000, or 0.0.0.0:$PORT as gunicorn does), the app of a config without one, a default site
/// routing / to the only app, worker counts ($WEB_CONCURRENCY, else the cores), inherited timeouts and limits.
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
