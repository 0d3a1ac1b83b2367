using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Http.Proxy.Health;
using PyHost.Http.Proxy.Http1;
using PyHost.Http.Proxy.LoadBalancing;
using Yarp.ReverseProxy.Forwarder;

namespace PyHost.Http.Proxy;

/// <summary>
/// An <c>[upstream.NAME]</c> at run time: its servers with their pools and health, the balancing policy, the active
/// checker, and the request settings every forwarded request uses.
/// </summary>
public sealed partial class Upstream : IHealthObserver, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ActiveHealthChecker? _checker;
    private readonly HashSet<int> _unhealthyStatus;
    private int _checksStopped;

    public Upstream(UpstreamConfig config, ILogger logger, TimeProvider? time = null, Random? random = null)
    {
        time ??= TimeProvider.System;
        Config = config;
        _logger = logger;
        _unhealthyStatus = [.. config.UnhealthyStatus];
        HealthCheckConfig? check = config.HealthCheck;
        Servers = config.Servers.Select(server =>
        {
            int maxConnections = server.MaxConnections ?? config.MaxConnections;
            var handler = UpstreamConnector.CreateHandler(server.Address, config.ConnectTimeout, maxConnections);
            var health = new ServerHealth(server.Address.Text, check?.HealthyThreshold ?? 1, check?.UnhealthyThreshold ?? 1,
                config.MaxFails, config.FailTimeout, time, this);
            // PyHost's own HTTP/1.1 client for most requests (Http1Forwarder); h2 and TLS to the server are
            // HttpClient's. A connection limit counts the requests of both (UpstreamServer.RequestSlots).
            bool ownClient = config.Protocol == PyHost.Configuration.Model.HttpProtocol.Http1 && server.Address.Scheme == "http";
            return new UpstreamServer(server, maxConnections, new HttpMessageInvoker(handler), health,
                ownClient ? new UpstreamConnectionPool(server.Address, config.ConnectTimeout) : null);
        }).ToArray();
        Policy = LoadBalancingPolicies.Create(config, Servers, random ?? Random.Shared);
        if (check is not null)
        {
            _checker = new ActiveHealthChecker(check,
                Servers.Select(server => (server, new HttpMessageInvoker(UpstreamConnector.CreateHandler(server.Address, check.Timeout, 1)))).ToArray(), time);
        }
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = config.ResponseTimeout > TimeSpan.Zero ? config.ResponseTimeout : Timeout.InfiniteTimeSpan,
            // h2 over http:// is prior knowledge (h2c); over https:// ALPN may still settle on 1.1.
            Version = config.Protocol == PyHost.Configuration.Model.HttpProtocol.Http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = config.Protocol == PyHost.Configuration.Model.HttpProtocol.Http2 && Servers.All(server => server.Address.Scheme == "http")
                ? HttpVersionPolicy.RequestVersionExact
                : HttpVersionPolicy.RequestVersionOrLower,
            AllowResponseBuffering = false,
        };
    }

    public UpstreamConfig Config { get; }

    public string Name => Config.Name;

    public IReadOnlyList<UpstreamServer> Servers { get; }

    public ILoadBalancingPolicy Policy { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    /// <summary>The checker of <c>health_check</c>, null without one; tests step it by hand.</summary>
    public ActiveHealthChecker? Checker => _checker;

    /// <summary>Starts the active health checks, if any, and the metrics' gauges of its servers.</summary>
    public void Start()
    {
        ProxyTelemetry.Observe(this);
        if (_checker is not null)
        {
            LogChecking(Name, Config.HealthCheck!.Path, Config.HealthCheck.Interval.TotalSeconds, Servers.Count);
            _checker.Start();
        }
    }

    /// <summary>
    /// The server for a request: among those available and not yet tried, by the policy. When every server is down,
    /// null: the client gets 503, as from HAProxy and Caddy.
    /// </summary>
    public UpstreamServer? Pick(HttpContext context, IReadOnlyCollection<UpstreamServer> tried)
    {
        // The usual case, every server up and none tried, allocates nothing.
        bool all = tried.Count == 0;
        for (int i = 0; all && i < Servers.Count; i++)
        {
            all = Servers[i].Health.IsAvailable;
        }
        if (all)
        {
            return Policy.Pick(context, Servers);
        }
        var available = new List<UpstreamServer>(Servers.Count);
        foreach (UpstreamServer server in Servers)
        {
            if (server.Health.IsAvailable && !tried.Contains(server))
            {
                available.Add(server);
            }
        }
        return available.Count == 0 ? null : Policy.Pick(context, available);
    }

    /// <summary>Whether a response status counts as a failed request for the passive checks.</summary>
    public bool IsUnhealthyStatus(int status) => _unhealthyStatus.Contains(status);

    /// <summary>Each server that <paramref name="previous"/> (the same upstream before a reload) has too keeps its health.</summary>
    public void TakeOverHealth(Upstream previous)
    {
        foreach (UpstreamServer server in Servers)
        {
            if (previous.Servers.FirstOrDefault(old => old.Address.Text == server.Address.Text) is { } same)
            {
                server.Health.TakeOver(same.Health);
            }
        }
    }

    /// <summary>Every server's state, for the admin status.</summary>
    public IReadOnlyList<ServerStatus> Status() => Servers.Select(server => server.Health.Status(server.InFlight)).ToArray();

    void IHealthObserver.ServerDown(ServerHealth server, string reason, string how) => LogServerDown(Name, server.Name, how, reason);

    void IHealthObserver.ServerUp(ServerHealth server, TimeSpan downFor, string how) => LogServerUp(Name, server.Name, how, downFor.TotalSeconds);

    /// <summary>Stops the active health checks for good (a reload replaced this upstream); requests still being
    /// proxied through it finish.</summary>
    public async Task StopChecksAsync()
    {
        ProxyTelemetry.Forget(this);
        if (_checker is not null && Interlocked.Exchange(ref _checksStopped, 1) == 0)
        {
            await _checker.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopChecksAsync();
        foreach (UpstreamServer server in Servers)
        {
            server.Dispose();
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Upstream {Upstream}: checking {Count} server(s) with GET {Path} every {Interval} s")]
    private partial void LogChecking(string upstream, string path, double interval, int count);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Upstream {Upstream}: server {Server} is down after {How}: {Reason}")]
    private partial void LogServerDown(string upstream, string server, string how, string reason);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Upstream {Upstream}: server {Server} is up again after {How} (down {Seconds:0.0} s)")]
    private partial void LogServerUp(string upstream, string server, string how, double seconds);
}
