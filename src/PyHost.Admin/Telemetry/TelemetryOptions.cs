namespace PyHost.Admin.Telemetry;

public enum OtlpProtocol
{
    HttpProtobuf,
    Grpc,
}

/// <summary>What to export: the Prometheus endpoint is always there; OTLP metrics and traces when an endpoint is set.</summary>
public sealed record TelemetryOptions
{
    /// <summary>The service name in OTLP resources and Prometheus' target_info.</summary>
    public string ServiceName { get; init; } = "pyhost";

    /// <summary>The collector's base URL (<c>--otlp-endpoint</c>, or OTEL_EXPORTER_OTLP_ENDPOINT): /v1/metrics and
    /// /v1/traces are added for OTLP/HTTP. Null: no OTLP export, and no spans are made.</summary>
    public Uri? OtlpEndpoint { get; init; }

    public OtlpProtocol OtlpProtocol { get; init; } = OtlpProtocol.HttpProtobuf;

    /// <summary>How often metrics are pushed over OTLP.</summary>
    public TimeSpan OtlpMetricsInterval { get; init; } = TimeSpan.FromSeconds(15);
}
