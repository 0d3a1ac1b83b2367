using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Observability;

/// <summary>
/// The front's instruments and its trace source. Metrics: requests by app, route, method and status class, their
/// duration in web-latency buckets, and body bytes in and out (Prometheus: pyhost_http_requests_total,
/// pyhost_http_request_duration_seconds, pyhost_http_received_bytes_total, pyhost_http_sent_bytes_total). Traces: one
/// server span per request, child of the caller's W3C traceparent, recorded only when an exporter listens.
/// </summary>
public static class HttpTelemetry
{
    public const string MeterName = "PyHost.Http";
    public const string ActivitySourceName = "PyHost.Http";

    public static readonly ActivitySource Source = new(ActivitySourceName);

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("pyhost.http.requests", "{request}",
        "Requests answered, by app, route, method and status class.");

    /// <summary>From 1 ms to a minute: the shape of web latency, fine where most requests are and coarse in the tail.</summary>
    public static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60];

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("pyhost.http.request.duration", "s",
        "Time from the request's arrival to the end of its response.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    private static readonly Counter<long> Received = Meter.CreateCounter<long>("pyhost.http.received", "By",
        "Request body bytes taken from clients.");

    private static readonly Counter<long> Sent = Meter.CreateCounter<long>("pyhost.http.sent", "By",
        "Response body bytes given to clients.");

    private static readonly string[] StatusClasses = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

    /// <summary>"2xx" for 200..299: the status label of every PyHost metric (a client must not grow the label set).</summary>
    public static string StatusClass(int status) => StatusClasses[Math.Clamp(status / 100, 0, 5)];

    public static void Record(RequestRecord record, string method, int status, TimeSpan duration)
    {
        if (!Requests.Enabled && !Duration.Enabled)
        {
            return;
        }
        var tags = new TagList
        {
            { "app", record.App ?? "" },
            { "route", record.Route },
            { "method", MethodLabel(method) },
            { "status", StatusClass(status) },
        };
        Requests.Add(1, tags);
        Duration.Record(duration.TotalSeconds, tags);
        var bodyTags = new TagList { { "app", record.App ?? "" }, { "route", record.Route } };
        if (record.BodyBytesReceived > 0)
        {
            Received.Add(record.BodyBytesReceived, bodyTags);
        }
        if (record.BodyBytesSent > 0)
        {
            Sent.Add(record.BodyBytesSent, bodyTags);
        }
    }

    /// <summary>A server span for the request, child of the caller's traceparent; null when no exporter listens.</summary>
    public static Activity? StartSpan(HttpContext context)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var headers = context.Request.Headers;
        ActivityContext parent = default;
        if (headers.TryGetValue("traceparent", out var traceparent) && traceparent.Count == 1)
        {
            ActivityContext.TryParse(traceparent[0], headers.TryGetValue("tracestate", out var state) ? state.ToString() : null, isRemote: true, out parent);
        }
        string method = MethodLabel(context.Request.Method);
        // Without a caller's traceparent this span is a root: not a child of whatever Activity the host made for the
        // request (an unsampled parent would make the sampler drop ours).
        Activity.Current = null;
        Activity? activity = Source.StartActivity(ActivityKind.Server, parent, name: method == "_OTHER" ? "HTTP" : method);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("http.request.method", method);
            activity.SetTag("url.path", context.Request.Path.Value);
            activity.SetTag("url.scheme", context.Request.Scheme);
            activity.SetTag("network.protocol.version", context.Request.Protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? context.Request.Protocol[5..] : context.Request.Protocol);
            activity.SetTag("client.address", context.Connection.RemoteIpAddress?.ToString());
            activity.SetTag("user_agent.original", context.Request.Headers.UserAgent.ToString());
        }
        return activity;
    }

    public static void EndSpan(Activity activity, RequestRecord record, int status)
    {
        if (activity.IsAllDataRequested)
        {
            activity.DisplayName = $"{activity.DisplayName} {record.Route}";
            activity.SetTag("http.route", record.Route);
            activity.SetTag("http.response.status_code", status);
            activity.SetTag("pyhost.app", record.App);
            activity.SetTag("pyhost.request_id", record.RequestId);
            if (record.WorkerId != 0)
            {
                activity.SetTag("pyhost.worker", record.WorkerId);
            }
            if (status >= 500)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
        activity.Stop();
    }

    /// <summary>Known methods by name, the rest as one value: a client must not be able to grow the label set.</summary>
    public static string MethodLabel(string method) => method switch
    {
        "GET" or "HEAD" or "POST" or "PUT" or "DELETE" or "PATCH" or "OPTIONS" or "TRACE" or "CONNECT" => method,
        _ => "_OTHER",
    };
}
