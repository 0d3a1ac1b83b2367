using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PyHost.Http.Observability;
using PyHost.Workers.Observability;

namespace PyHost.Admin.Telemetry;

/// <summary>
/// The OpenTelemetry SDK over PyHost's own instruments and the runtime's: collected on demand for Prometheus'
/// <c>/metrics</c>, pushed over OTLP when an endpoint is set, with one span per request exported alongside.
/// </summary>
public sealed class TelemetryExport : IDisposable
{
    /// <summary>The runtime's and Kestrel's own meters (.NET 9+): GC, thread pool, exceptions, connections.</summary>
    private static readonly string[] RuntimeMeters = ["System.Runtime", "Microsoft.AspNetCore.Server.Kestrel"];

    private const string FrontMeterName = "PyHost.Front";

    /// <summary>The front process's own gauges, read at collection time.</summary>
    private static readonly System.Diagnostics.Metrics.Meter FrontMeter = CreateFrontMeter();

    private static System.Diagnostics.Metrics.Meter CreateFrontMeter()
    {
        var meter = new System.Diagnostics.Metrics.Meter(FrontMeterName);
        meter.CreateObservableGauge("pyhost.front.thread_pool.threads", () => ThreadPool.ThreadCount, "{thread}", "Threads of the front's thread pool.");
        meter.CreateObservableGauge("pyhost.front.thread_pool.queue", () => ThreadPool.PendingWorkItemCount, "{work_item}", "Work items waiting for a thread of the front's pool.");
        return meter;
    }

    private TelemetryExport(MeterProvider metrics, TracerProvider? traces)
    {
        Metrics = metrics;
        Traces = traces;
    }

    public MeterProvider Metrics { get; }

    public TracerProvider? Traces { get; }

    public static TelemetryExport Start(TelemetryOptions options)
    {
        _ = FrontMeter;
        ResourceBuilder resource = ResourceBuilder.CreateEmpty().AddService(options.ServiceName,
            serviceVersion: (System.Reflection.Assembly.GetEntryAssembly() ?? typeof(TelemetryExport).Assembly).GetName().Version?.ToString(3),
            serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}");

        MeterProviderBuilder metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(HttpTelemetry.MeterName, WorkerMetrics.MeterName, FrontMeterName, PyHost.Http.Proxy.ProxyTelemetry.MeterName)
            .AddMeter(RuntimeMeters)
            // Prometheus' naming rules (promtool check metrics): a gauge must not end in _count, so the runtime's
            // counts get plural names, and the ones that say nothing about a server are left out. The thread pool's
            // thread count and queue length reach Prometheus as counters from this exporter (a running total that
            // goes down would read as resets): the front reports them as gauges of its own instead.
            .AddView("dotnet.thread_pool.work_item.count", "dotnet.thread_pool.work_items")
            .AddView("dotnet.thread_pool.thread.count", MetricStreamConfiguration.Drop)
            .AddView("dotnet.thread_pool.queue.length", MetricStreamConfiguration.Drop)
            .AddView("dotnet.assembly.count", MetricStreamConfiguration.Drop)
            .AddView("dotnet.timer.count", MetricStreamConfiguration.Drop)
            .AddView("dotnet.process.cpu.count", MetricStreamConfiguration.Drop)
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
        TracerProvider? traces = null;
        if (options.OtlpEndpoint is { } endpoint)
        {
            metrics.AddOtlpExporter((exporter, reader) =>
            {
                Configure(exporter, options, endpoint, "v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpMetricsInterval.TotalMilliseconds;
                // Prometheus and most backends expect running totals.
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
            });
            traces = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(HttpTelemetry.ActivitySourceName)
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
                .AddOtlpExporter(exporter =>
                {
                    Configure(exporter, options, endpoint, "v1/traces");
                    exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
                })
                .Build();
        }
        return new TelemetryExport(metrics.Build(), traces);
    }

    /// <summary>OTLP/HTTP wants the signal's path on the URL; gRPC takes the bare endpoint.</summary>
    private static void Configure(OtlpExporterOptions exporter, TelemetryOptions options, Uri endpoint, string signalPath)
    {
        if (options.OtlpProtocol == OtlpProtocol.Grpc)
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = endpoint;
            return;
        }
        exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
        string baseUrl = endpoint.ToString();
        exporter.Endpoint = new Uri(baseUrl.EndsWith('/') ? baseUrl + signalPath : baseUrl + "/" + signalPath);
    }

    public void Dispose()
    {
        Traces?.Dispose();
        Metrics.Dispose();
    }
}
