using System.Diagnostics;
using System.Diagnostics.Metrics;
using PyHost.Http.Observability;

namespace PyHost.Http.Proxy;

/// <summary>
/// The reverse proxy's instruments, per upstream and server — the series nginx-prometheus-exporter (nginxplus_upstream_
/// server_*), HAProxy's exporter (haproxy_server_*) and Caddy (caddy_reverse_proxy_upstreams_healthy) give, labelled
/// upstream and server as theirs are, named as PyHost's other metrics are (OpenTelemetry names, status by class).
/// Prometheus sees pyhost_upstream_requests_total{status="2xx"}, pyhost_upstream_failures_total{kind}, pyhost_upstream_
/// request_duration_seconds, pyhost_upstream_server_healthy (1 or 0) and pyhost_upstream_server_active_requests. The
/// gauges are read at collection time from the upstreams of the configuration in force.
/// </summary>
public static class ProxyTelemetry
{
    public const string MeterName = "PyHost.Proxy";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("pyhost.upstream.requests", "{request}",
        "Requests an upstream server answered, by upstream, server and status class.");

    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("pyhost.upstream.failures", "{request}",
        "Requests an upstream server did not answer, by kind: connect (no connection, or none in connect_timeout), timeout "
        + "(no answer in response_timeout), response (the connection broke while answering).");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("pyhost.upstream.request.duration", "s",
        "Time from sending a request to an upstream server to the end of its response.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HttpTelemetry.LatencyBuckets });

    private static readonly string[] AnsweredClasses = ["2xx", "3xx", "4xx", "5xx"];
    private static readonly string[] FailureKinds = ["connect", "timeout", "response"];

    private static readonly Lock LiveLock = new();
    private static Upstream[] _live = [];

    static ProxyTelemetry()
    {
        Meter.CreateObservableGauge("pyhost.upstream.server.healthy", () => Observe(server => server.Health.IsAvailable ? 1 : 0), "",
            "1 while an upstream server takes requests; 0 while health checks or failed requests hold it down.");
        Meter.CreateObservableGauge("pyhost.upstream.server.active_requests", () => Observe(server => server.InFlight), "{request}",
            "Requests in flight to an upstream server.");
    }

    /// <summary>Its servers are in the gauges from now on, and every counter series starts at 0 (a rate() over a
    /// series that appears only at its first event misses that event).</summary>
    public static void Observe(Upstream upstream)
    {
        foreach (UpstreamServer server in upstream.Servers)
        {
            foreach (string status in AnsweredClasses)
            {
                Requests.Add(0, Tags(upstream, server, "status", status));
            }
            foreach (string kind in FailureKinds)
            {
                Failures.Add(0, Tags(upstream, server, "kind", kind));
            }
        }
        lock (LiveLock)
        {
            _live = [.. _live.Where(live => live.Name != upstream.Name), upstream];   // a reload's replaces the old one
        }
    }

    /// <summary>Out of the gauges (its configuration was replaced or the server stops), unless a newer one took its place.</summary>
    public static void Forget(Upstream upstream)
    {
        lock (LiveLock)
        {
            _live = [.. _live.Where(live => live != upstream)];
        }
    }

    public static void Answered(Upstream upstream, UpstreamServer server, int status, long startTimestamp)
    {
        if (Requests.Enabled)
        {
            Requests.Add(1, Tags(upstream, server, "status", HttpTelemetry.StatusClass(status)));
            Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, Tags(upstream, server));
        }
    }

    public static void Failed(Upstream upstream, UpstreamServer server, bool connect, bool timeout, long startTimestamp)
    {
        if (Failures.Enabled)
        {
            Failures.Add(1, Tags(upstream, server, "kind", connect ? "connect" : timeout ? "timeout" : "response"));
            Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, Tags(upstream, server));
        }
    }

    private static TagList Tags(Upstream upstream, UpstreamServer server) =>
        new() { { "upstream", upstream.Name }, { "server", server.Address.Text } };

    private static TagList Tags(Upstream upstream, UpstreamServer server, string key, string value) =>
        new() { { "upstream", upstream.Name }, { "server", server.Address.Text }, { key, value } };

    private static IEnumerable<Measurement<int>> Observe(Func<UpstreamServer, int> value)
    {
        foreach (Upstream upstream in Volatile.Read(ref _live))
        {
            foreach (UpstreamServer server in upstream.Servers)
            {
                yield return new Measurement<int>(value(server), Tags(upstream, server));
            }
        }
    }
}
