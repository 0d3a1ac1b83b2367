using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using PyHost.Http.Proxy.Health;
using PyHost.Http.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace PyHost.Http.Proxy;

/// <summary>
/// The upstreams of one configuration: every <c>[upstream.NAME]</c>, and one for each server a route names directly
/// (<c>proxy = "http://..."</c>, shared by the routes that name the same one). The composition root makes it with
/// the route table, turns each proxy route into a <see cref="ProxyEndpoint"/> with <see cref="EndpointFor"/>, starts
/// the health checks, and disposes it when the configuration is replaced or the server stops.
/// </summary>
public sealed class UpstreamSet : IAsyncDisposable
{
    private readonly Dictionary<string, Upstream> _upstreams = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggers;
    private ServiceProvider? _services;
    private IHttpForwarder? _forwarder;

    private UpstreamSet(ILoggerFactory loggers) => _loggers = loggers;

    public IEnumerable<Upstream> Upstreams => _upstreams.Values;

    /// <param name="time">The clock of the health checks; tests give their own.</param>
    /// <param name="previous">The set of the configuration a reload replaces: its servers' health carries over to the
    /// same servers (by upstream name and address) here.</param>
    public static UpstreamSet Create(PyHostConfig config, ILoggerFactory loggers, TimeProvider? time = null, UpstreamSet? previous = null)
    {
        var set = new UpstreamSet(loggers);
        ILogger logger = loggers.CreateLogger("pyhost.proxy");
        foreach (UpstreamConfig upstream in config.Upstreams)
        {
            set._upstreams[upstream.Name] = new Upstream(upstream, logger, time);
        }
        foreach (RouteConfig route in config.Sites.SelectMany(site => site.Routes))
        {
            if (route.Target is ProxyTarget { Server: { } server } && !set._upstreams.ContainsKey(server.Text))
            {
                set._upstreams[server.Text] = new Upstream(UpstreamConfig.ForOneServer(server), logger, time);
            }
        }
        if (set._upstreams.Count > 0)
        {
            // YARP's forwarder, alone: its own logging stays silent (it logs every failed request with a stack trace);
            // PyHost says what happened in its own words. Made only where some route proxies: a server without one
            // neither builds it nor keeps it in memory.
            set._services = new ServiceCollection().AddLogging().AddHttpForwarder().BuildServiceProvider();
            set._forwarder = set._services.GetRequiredService<IHttpForwarder>();
        }
        if (previous is not null)
        {
            foreach (var (name, upstream) in set._upstreams)
            {
                if (previous._upstreams.TryGetValue(name, out Upstream? before))
                {
                    upstream.TakeOverHealth(before);
                }
            }
        }
        return set;
    }

    /// <summary>The endpoint of a route whose target is <c>proxy</c>, which answers 413 to a request body over
    /// <paramref name="maxRequestBodySize"/> (null: no limit) as an app route does.</summary>
    public ProxyEndpoint EndpointFor(RouteConfig route, long? maxRequestBodySize)
    {
        var target = route.Target as ProxyTarget ?? throw new ArgumentException("not a proxy route", nameof(route));
        Upstream upstream = _upstreams[target.Upstream ?? target.Server!.Text];
        string? strip = route.StripPrefix && route.Path != "/" ? route.Path : null;
        return new ProxyEndpoint(new ProxyRoute(upstream, _forwarder!, strip, readBodiesAhead: route.RequestBuffering != false,
            maxRequestBodySize, _loggers.CreateLogger("pyhost.proxy")));
    }

    /// <summary>Starts every upstream's active health checks.</summary>
    public void Start()
    {
        foreach (Upstream upstream in _upstreams.Values)
        {
            upstream.Start();
        }
    }

    /// <summary>Stops every upstream's active health checks: a reload replaced this set, whose requests still finish.</summary>
    public async Task StopHealthChecksAsync()
    {
        foreach (Upstream upstream in _upstreams.Values)
        {
            await upstream.StopChecksAsync();
        }
    }

    /// <summary>Each upstream's servers and their state: for the admin API's status.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ServerStatus>> Status() =>
        _upstreams.ToDictionary(pair => pair.Key, pair => pair.Value.Status(), StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        foreach (Upstream upstream in _upstreams.Values)
        {
            await upstream.DisposeAsync();
        }
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}
