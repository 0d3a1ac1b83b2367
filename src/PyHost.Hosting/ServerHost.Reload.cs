using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Validation;
using PyHost.Hosting.Apps;
using PyHost.Hosting.Front;
using PyHost.Http;
using PyHost.Http.Listening;
using PyHost.Http.Routing;
using PyHost.Tls;

namespace PyHost.Hosting;

// A reload: one running configuration becomes the next, without dropping a request.
public sealed partial class ServerHost
{
    /// <summary>
    /// Runs <paramref name="next"/> from now on. New apps boot first; if one cannot start, nothing changes. Then the
    /// apps that stay get a new generation of workers with their new settings (one whose new code fails keeps its old
    /// workers), the route table switches whole, removed apps drain, and listeners are added and removed. The text
    /// says how it went, for <c>pyhost reload</c>: it starts with "ok" or "error".
    /// </summary>
    public async Task<string> ReloadAsync(PyHostConfig next, string reason)
    {
        await _reloading.WaitAsync();
        try
        {
            return await ApplyAsync(next, reason);
        }
        finally
        {
            _reloading.Release();
        }
    }

    private async Task<string> ApplyAsync(PyHostConfig next, string reason)
    {
        // The certificates are read again (as nginx does on HUP); one that cannot be served refuses the whole reload.
        TlsFront? nextTls = CreateTls(next, _context.Loggers, out string? tlsError);
        if (tlsError is not null)
        {
            return Refused($"cannot serve TLS: {tlsError}");
        }
        try
        {
            return await ApplyAsync(next, reason, nextTls);
        }
        finally
        {
            if (nextTls is not null && !ReferenceEquals(_tls, nextTls))
            {
                await nextTls.DisposeAsync();   // the reload was refused before the listeners took it
            }
        }
    }

    private async Task<string> ApplyAsync(PyHostConfig next, string reason, TlsFront? nextTls)
    {
        // What it names on disk (static directories, error pages, a --paste file...), checked as at the start.
        var missing = new DiagnosticBag();
        FileSystemCheck.CheckInputs(next, missing);
        if (missing.HasErrors)
        {
            return Refused(string.Join("\n", missing.Items.Where(problem => problem.IsError)));
        }
        var added = new Dictionary<string, AppHost>(StringComparer.Ordinal);
        try
        {
            foreach (AppConfig app in next.Apps.Where(app => !_apps.ContainsKey(app.Name)))
            {
                added[app.Name] = CreateApp(app, next);
            }
        }
        catch (AppConfigurationException ex)
        {
            await DisposeAllAsync(added.Values);
            return Refused($"an app cannot be served: {ex.Message}");
        }
        int[] statuses = await Task.WhenAll(added.Values.Select(app => app.StartAsync()));
        if (added.Values.Zip(statuses).FirstOrDefault(pair => pair.Second != 0) is { First: { } failed })
        {
            string failure = failed.Arbiter.BootFailure ?? "its workers did not start";
            await StopAndDisposeAsync(added.Values);
            return Refused($"the new app {failed.Name} could not start:\n{failure}");
        }

        var apps = new Dictionary<string, AppHost>(_apps.Where(pair => next.App(pair.Key) is not null), StringComparer.Ordinal);
        foreach (var (name, app) in added)
        {
            apps[name] = app;
        }
        RouteTable routes;
        RouteResources resources;
        try
        {
            (routes, resources) = BuildRoutes(next, apps);
        }
        catch (ServerConfigurationException ex)
        {
            await StopAndDisposeAsync(added.Values);
            return Refused(ex.Message);
        }

        // The apps that stay: a new generation each, with the new settings, all at once.
        var staying = _apps.Values.Where(app => next.App(app.Name) is not null).ToList();
        string[] outcomes = await Task.WhenAll(staying.Select(app => app.ReloadAsync(reason, next.App(app.Name), next.Server, next.Provenance)));

        foreach (var (name, app) in added)
        {
            _apps[name] = app;
        }
        Front.Routes = routes;
        UseResources(resources, next.Server.GracefulTimeout);
        Front.Trust = TrustOf(next.Server);
        Fatal = AnyFatal(_apps.Values);

        var removed = _apps.Values.Where(app => next.App(app.Name) is null).ToList();
        foreach (AppHost app in removed)
        {
            _apps.Remove(app.Name);
            LogAppRemoved(app.Name);
        }
        PublishApps();
        // No route leads to them any more: they finish what they run, then stop.
        _ = StopAndDisposeAsync(removed, next.Server.GracefulTimeout);

        TlsFront? previousTls = _tls;
        _tls = nextTls;
        string listeners = await ReconcileListenersAsync(next, tlsChanged: previousTls is not null || nextTls is not null);
        await ReconcileMongrel2Async(next.Server);
        _config = next;
        if (previousTls is not null)
        {
            await previousTls.DisposeAsync();
        }
        nextTls?.StartMaintenance();

        var report = new List<string>();
        report.AddRange(added.Keys.Select(name => $"app {name}: started"));
        report.AddRange(staying.Zip(outcomes).Select(pair => $"app {pair.First.Name}: {pair.Second}"));
        report.AddRange(removed.Select(app => $"app {app.Name}: removed, draining"));
        if (listeners.Length > 0)
        {
            report.Add(listeners);
        }
        bool allOk = outcomes.All(outcome => outcome.StartsWith("ok", StringComparison.Ordinal)) && !listeners.StartsWith("error", StringComparison.Ordinal);
        string summary = (allOk ? "ok: configuration reloaded" : "error: configuration reloaded in part") + "\n" + string.Join("\n", report);
        LogReloaded(summary);
        return summary;
    }

    private string Refused(string why)
    {
        LogReloadRefused(why);
        return $"error: the new configuration was not applied; the running one keeps serving.\n{why}";
    }

    /// <summary>Listeners follow the configuration: new addresses bound and served, gone ones stopped and closed, and a
    /// listener whose settings changed gets a new Kestrel on its socket before the old one stops (no connection refused).
    /// With TLS every listener is renewed that way: its handshakes and challenge answers belong to the new certificates.</summary>
    private async Task<string> ReconcileListenersAsync(PyHostConfig next, bool tlsChanged)
    {
        var problems = new List<string>();
        var wanted = next.Listeners.ToDictionary(listener => listener.Address.Canonical, StringComparer.Ordinal);
        foreach (RunningListener running in _listeners.ToList())
        {
            if (!wanted.TryGetValue(running.Config.Address.Canonical, out ListenerConfig? listener))
            {
                await running.Host.StopAsync();
                await running.Host.DisposeAsync();
                _context.Sockets.Release(running.Host.Listener);
                _listeners.Remove(running);
                LogListenerRemoved(running.Host.Listener.Url);
            }
            else if (tlsChanged || ListenerSettingsFactory.SettingsOf(listener) != running.Settings)
            {
                RunningListener replacement = await StartListenerAsync(listener, running.Host.Listener);
                _listeners.Add(replacement);
                await running.Host.StopAsync();
                await running.Host.DisposeAsync();
                _listeners.Remove(running);
            }
        }
        foreach (ListenerConfig listener in next.Listeners.Where(listener => !_listeners.Any(running => running.Config.Address.Canonical == listener.Address.Canonical)))
        {
            try
            {
                foreach (FrontListener socket in _context.Sockets.Bind(listener.Address, _context.SocketSettings))
                {
                    _listeners.Add(await StartListenerAsync(listener, socket));
                    LogListenerAdded(socket.Url);
                }
            }
            catch (ListenException ex)
            {
                problems.Add(ex.Message);
                LogListenerFailed(ex.Message);
            }
        }
        return problems.Count == 0 ? "" : "error: " + string.Join("; ", problems);
    }

    private static FrontTrust TrustOf(ServerConfig server) => ServerTrust.Of(server);

    private static async Task DisposeAllAsync(IEnumerable<AppHost> apps)
    {
        foreach (AppHost app in apps)
        {
            await app.DisposeAsync();
        }
    }

    private static async Task StopAndDisposeAsync(IEnumerable<AppHost> apps, TimeSpan? grace = null)
    {
        foreach (AppHost app in apps.ToList())
        {
            await app.StopAsync(grace ?? TimeSpan.FromSeconds(2));
            await app.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Reload: {Summary}")]
    private partial void LogReloaded(string summary);

    [LoggerMessage(EventId = 701, Level = LogLevel.Error, Message = "Reload refused, the running configuration keeps serving: {Why}")]
    private partial void LogReloadRefused(string why);

    [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "App {App} removed from the configuration: it drains and stops")]
    private partial void LogAppRemoved(string app);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information, Message = "Listening on {Url} (added by the reload)")]
    private partial void LogListenerAdded(string url);

    [LoggerMessage(EventId = 704, Level = LogLevel.Information, Message = "No longer listening on {Url} (removed by the reload)")]
    private partial void LogListenerRemoved(string url);

    [LoggerMessage(EventId = 705, Level = LogLevel.Error, Message = "Reload: {Problem}")]
    private partial void LogListenerFailed(string problem);
}
