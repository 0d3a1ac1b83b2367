using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PyHost.Admin;
using PyHost.Admin.Api;
using PyHost.Admin.Configuration;
using PyHost.Admin.Telemetry;
using PyHost.Http;
using PyHost.Http.Observability;
using PyHost.Workers;
using PyHost.Workers.Supervision;

namespace PyHost.Cli;

/// <summary>Seeing and steering the server: the admin API and its socket, metrics and traces, the log formats.</summary>
public static partial class ServeCommand
{
    private static readonly Option<string?> AdminAddress = new("--admin")
    {
        Description = "Also serve the admin API (status, metrics, dashboard, reload, scale) on HOST:PORT, for Prometheus and a browser; "
                      + "needs --admin-token-file. unix:PATH moves its unix socket instead. Default: the control socket only.",
    };
    private static readonly Option<string?> AdminTokenFile = new("--admin-token-file")
    {
        Description = "A file holding the bearer token that requests to the --admin TCP address must send.",
    };
    private static readonly Option<string?> OtlpEndpoint = new("--otlp-endpoint")
    {
        Description = "Push metrics and a span per request over OTLP to this collector, e.g. http://127.0.0.1:4318. "
                      + "Default: $OTEL_EXPORTER_OTLP_ENDPOINT, else none.",
    };
    private static readonly Option<string?> OtlpProtocolOption = new("--otlp-protocol")
    {
        Description = "http/protobuf (the default) or grpc. Default: $OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.",
    };
    private static readonly Option<string?> AccessLogFormatOption = new("--access-logformat")
    {
        Description = "combined (the default), json (one object per line), or a gunicorn format of %(atom)s atoms, "
                      + "e.g. '%(h)s \"%(r)s\" %(s)s %(D)s %(request_id)s'.",
    };
    private static readonly Option<string?> ErrorLogFormat = new("--error-log-format")
    {
        Description = "text (gunicorn's lines, the default) or json (one object per line).",
    };

    private static void AddObservabilityOptions(Command command)
    {
        command.Options.Add(AdminAddress);
        command.Options.Add(AdminTokenFile);
        command.Options.Add(OtlpEndpoint);
        command.Options.Add(OtlpProtocolOption);
        command.Options.Add(AccessLogFormatOption);
        command.Options.Add(ErrorLogFormat);
        command.Validators.Add(result =>
        {
            if (result.GetValue(AccessLogFormatOption) is { } format && !AccessLogFormat.TryParse(format, out _, out string? formatError))
            {
                result.AddError($"--access-logformat: {formatError}");
            }
            if (result.GetValue(ErrorLogFormat) is { } errorFormat && errorFormat is not ("text" or "json"))
            {
                result.AddError($"--error-log-format '{errorFormat}': use text or json");
            }
            if (result.GetValue(AdminAddress) is { } admin)
            {
                if (!BindAddress.TryParse(admin, out BindAddress? bind, out string? error))
                {
                    result.AddError($"--admin {error}");
                }
                else if (bind.UnixSocketPath is null && result.GetValue(AdminTokenFile) is null)
                {
                    result.AddError($"--admin {admin}: a TCP admin address needs --admin-token-file (anyone who reaches it could reload the site)");
                }
            }
            if (result.GetValue(AdminTokenFile) is { } tokenFile && !BearerToken.TryRead(tokenFile, out _, out string? tokenError))
            {
                result.AddError(tokenError!);
            }
            if (OtlpEndpointFrom(result.GetValue(OtlpEndpoint)) is { } endpoint
                && (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https")))
            {
                result.AddError($"--otlp-endpoint '{endpoint}': expected a URL such as http://127.0.0.1:4318");
            }
            if (OtlpProtocolFrom(result.GetValue(OtlpProtocolOption)) is { } protocol && protocol is not ("http/protobuf" or "grpc"))
            {
                result.AddError($"--otlp-protocol '{protocol}': use http/protobuf or grpc");
            }
        });
    }

    private static string? OtlpEndpointFrom(string? flag) =>
        flag ?? (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } fromEnvironment ? fromEnvironment : null);

    private static string? OtlpProtocolFrom(string? flag) =>
        flag ?? (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL") is { Length: > 0 } fromEnvironment ? fromEnvironment : null);

    private static bool JsonErrorLog(ParseResult parsed) => parsed.GetValue(ErrorLogFormat) == "json";

    private static AccessLogFormat? AccessLogFormatFrom(ParseResult parsed) =>
        parsed.GetValue(AccessLogFormatOption) is { } text && AccessLogFormat.TryParse(text, out AccessLogFormat format, out _) ? format : null;

    /// <summary>The exporters, started before the front so the first request already has its span.</summary>
    private static TelemetryExport StartTelemetry(ParseResult parsed) => TelemetryExport.Start(new TelemetryOptions
    {
        OtlpEndpoint = OtlpEndpointFrom(parsed.GetValue(OtlpEndpoint)) is { } endpoint ? new Uri(endpoint) : null,
        OtlpProtocol = OtlpProtocolFrom(parsed.GetValue(OtlpProtocolOption)) == "grpc" ? OtlpProtocol.Grpc : OtlpProtocol.HttpProtobuf,
        // OpenTelemetry's own variable for the push interval, in milliseconds.
        OtlpMetricsInterval = int.TryParse(Environment.GetEnvironmentVariable("OTEL_METRIC_EXPORT_INTERVAL"), out int milliseconds) && milliseconds > 0
            ? TimeSpan.FromMilliseconds(milliseconds)
            : TimeSpan.FromSeconds(15),
    });

    /// <summary>The admin API on the control socket (and on --admin's TCP address): reload, scale, status, metrics.</summary>
    /// <param name="takeOver">A binary upgrade's successor: the control socket's path is its predecessor's, and is now its own.</param>
    private static async Task<AdminServer?> StartAdminAsync(ParseResult parsed, string controlSocket, bool takeOver, Arbiter arbiter, HttpFrontOptions front,
        Func<IReadOnlyList<string>> listeners, TelemetryExport telemetry, WorkerOptions workers, ILoggerProvider logging, LogLevel level, ILogger log)
    {
        BindAddress? admin = parsed.GetValue(AdminAddress) is { } text && BindAddress.TryParse(text, out BindAddress? bind, out _) ? bind : null;
        string? token = parsed.GetValue(AdminTokenFile) is { } tokenFile && BearerToken.TryRead(tokenFile, out string read, out _) ? read : null;
        arbiter.EnableMetrics();
        var targets = new AdminTargets
        {
            Apps = [new ArbiterApp(arbiter, front.Statistics.For(arbiter.AppName))],
            Listeners = listeners,
            Configuration = new ReadOnlyConfigurationEndpoint(() => EffectiveSettingsJson(workers, front, listeners())),
            Metrics = telemetry.Metrics,
        };
        try
        {
            return await AdminServer.StartAsync(new AdminOptions
            {
                SocketPath = admin?.UnixSocketPath ?? controlSocket,
                Tcp = admin?.UnixSocketPath is null ? admin : null,
                Token = token,
                TakeOver = takeOver,
            }, targets, logging, level);
        }
        catch (IOException ex)
        {
            log.LogCritical("Cannot listen for the admin API: {Reason}", ex.Message);
            return null;
        }
    }

    /// <summary>
    /// What `pyhost serve` runs with, for GET /config until the server runs from the configuration model (whose own
    /// JSON form replaces this): the app's settings as [app.NAME] keys, and the listeners.
    /// </summary>
    private static string EffectiveSettingsJson(WorkerOptions workers, HttpFrontOptions front, IReadOnlyList<string> listeners)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("listen");
            foreach (string url in listeners)
            {
                json.WriteStringValue(url);
            }
            json.WriteEndArray();
            json.WriteStartObject("app");
            json.WriteStartObject(workers.AppName);
            json.WriteString("module", workers.App);
            json.WriteString("python", workers.Python);
            json.WriteString("chdir", workers.WorkingDirectory);
            json.WriteNumber("workers", workers.Workers);
            if (workers.WorkersMax > workers.Workers)
            {
                json.WriteNumber("workers_max", workers.WorkersMax);
            }
            json.WriteNumber("threads", workers.Threads);
            json.WriteString("timeout", $"{workers.Timeout.TotalSeconds}s");
            json.WriteString("graceful_timeout", $"{workers.GracefulTimeout.TotalSeconds}s");
            json.WriteNumber("max_requests", workers.MaxRequests);
            json.WriteNumber("max_requests_jitter", workers.MaxRequestsJitter);
            json.WriteNumber("max_queued_requests", workers.MaxQueuedRequests);
            json.WriteBoolean("preload", workers.Preload);
            json.WriteNumber("pipeline_depth", workers.PipelineDepth);
            json.WriteBoolean("request_buffering", front.Dispatch.RequestBuffering);
            json.WriteBoolean("response_buffering", front.Dispatch.ResponseBuffering);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
