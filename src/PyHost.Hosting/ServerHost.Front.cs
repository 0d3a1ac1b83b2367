using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Configuration.Model;
using PyHost.Hosting.Apps;
using PyHost.Hosting.Front;
using PyHost.Http.Health;
using PyHost.Http.Proxy;
using PyHost.Http.Routing;

namespace PyHost.Hosting;

// The route table with what its routes share (upstreams, access rules), the health endpoints and draining.
public sealed partial class ServerHost
{
    private readonly DrainState _drain = new(TimeSpan.Zero);
    private RouteResources? _resources;
    private AppHost[] _appList = [];   // the apps for the readiness check, published whole: request threads read it

    /// <summary>The upstreams of the proxy routes in force, for the admin status; null before the first route table.</summary>
    public UpstreamSet? Upstreams => Volatile.Read(ref _resources)?.Upstreams;

    /// <summary>
    /// Compiles a configuration's routes with their endpoints and access rules, and the upstreams and rule state they
    /// share (not started yet: <see cref="UseResources"/> does once the table is in force). Throws
    /// <see cref="ServerConfigurationException"/> for a route that cannot be served, having made nothing that lives on.
    /// </summary>
    private (RouteTable Routes, RouteResources Resources) BuildRoutes(PyHostConfig config, IReadOnlyDictionary<string, AppHost> apps)
    {
        var resources = RouteResources.Create(config, _context.Loggers, Volatile.Read(ref _resources));
        try
        {
            RouteTable routes = RouteTable.Build(config.Sites, SiteFrontFactory.For,
                (site, route) => EndpointFactory.For(site, route, apps, _statics, _cgi, resources), resources.GuardsFor);
            return (routes, resources);
        }
        catch
        {
            _ = resources.DisposeAsync().AsTask();
            throw;
        }
    }

    /// <summary>The routes' shared parts of the configuration now in force: its health checks start; the ones it
    /// replaced stop checking, and are disposed once their requests had the graceful time to finish.</summary>
    private void UseResources(RouteResources next, TimeSpan grace)
    {
        RouteResources? previous = _resources;
        Volatile.Write(ref _resources, next);
        next.Start();
        if (previous is not null)
        {
            _ = previous.RetireAsync(grace);
        }
    }

    /// <summary>Publishes the apps the readiness check looks at, and answers /_pyhost/live and /ready from now on.</summary>
    private void PublishApps()
    {
        Volatile.Write(ref _appList, _apps.Values.ToArray());
        Front.Health ??= new HealthEndpoints(
            () => Volatile.Read(ref _appList).Select(app => AppReadiness.Of(app.Name, app.Pool)), _drain);
    }

    /// <summary>
    /// The first step of a graceful stop: /_pyhost/ready answers 503 from now on while requests are still served for
    /// <c>[server] drain_delay</c>, so that load balancers checking readiness (and Kubernetes) stop sending new work
    /// before the listeners close. <paramref name="cutShort"/> (a second SIGTERM) ends the wait early.
    /// </summary>
    public async Task DrainAsync(Task cutShort)
    {
        TimeSpan delay = _config.Server.DrainDelay;
        if (!_drain.BeginDrain() || delay <= TimeSpan.Zero)
        {
            return;
        }
        LogDraining(delay.TotalSeconds);
        if (await Task.WhenAny(Task.Delay(delay), cutShort) == cutShort)
        {
            LogDrainCut();
        }
    }

    /// <summary>The first app that can no longer serve; never, for a server without apps (a proxy only).</summary>
    private static Task<int> AnyFatal(IReadOnlyCollection<AppHost> apps) =>
        apps.Count == 0 ? new TaskCompletionSource<int>().Task : Task.WhenAny(apps.Select(app => app.Arbiter.Fatal)).Unwrap();

    private async ValueTask DisposeResourcesAsync()
    {
        if (_resources is not null)
        {
            await _resources.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "Draining: /_pyhost/ready answers 503 while requests are still served for {Seconds} s (drain_delay)")]
    private partial void LogDraining(double seconds);

    [LoggerMessage(EventId = 711, Level = LogLevel.Information, Message = "Draining cut short by a second signal")]
    private partial void LogDrainCut();
}
