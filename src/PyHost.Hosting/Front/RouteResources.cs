using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using PyHost.Http.Access;
using PyHost.Http.Access.BasicAuth;
using PyHost.Http.Proxy;

namespace PyHost.Hosting.Front;

/// <summary>
/// What the routes of one configuration share besides its apps: the upstreams of its proxy routes (connection pools,
/// health-check loops) and the state of its access rules (htpasswd files, rate-limit counters). Made with the route
/// table, started once that table is in force, and retired when a reload replaced it: after the requests that were
/// still using it had their graceful time.
/// </summary>
public sealed class RouteResources : IAsyncDisposable
{
    private RouteResources(UpstreamSet upstreams, RouteGuardFactory guards)
    {
        Upstreams = upstreams;
        Guards = guards;
    }

    public UpstreamSet Upstreams { get; }

    public RouteGuardFactory Guards { get; }

    /// <param name="previous">The resources of the configuration in force, when a reload makes these: upstream
    /// servers kept by the new configuration keep their health.</param>
    public static RouteResources Create(PyHostConfig config, ILoggerFactory loggers, RouteResources? previous = null) =>
        new(UpstreamSet.Create(config, loggers, previous: previous?.Upstreams), new RouteGuardFactory(loggers));

    /// <summary>The access rules of a route; a password file that cannot be used is a configuration the server cannot run.</summary>
    public RouteGuards GuardsFor(SiteConfig site, RouteConfig route)
    {
        try
        {
            return Guards.For(site, route);
        }
        catch (HtpasswdException ex)
        {
            throw new ServerConfigurationException($"basic_auth of {site.DisplayName} {route.Path}: {ex.Message}");
        }
    }

    /// <summary>Starts the active health checks of every upstream.</summary>
    public void Start() => Upstreams.Start();

    /// <summary>Disposes these once <paramref name="grace"/> has passed: requests the old route table took may still
    /// be proxying through its upstreams.</summary>
    public async Task RetireAsync(TimeSpan grace)
    {
        await Upstreams.StopHealthChecksAsync();   // the new configuration's checks take over now
        await Task.Delay(grace);
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Guards.Dispose();
        await Upstreams.DisposeAsync();
    }
}
