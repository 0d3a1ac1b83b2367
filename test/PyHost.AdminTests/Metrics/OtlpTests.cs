using System.Text.Json;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Metrics;

/// <summary>
/// OTLP: with --otlp-endpoint, PyHost pushes its metrics and one server span per request to a collector (here a
/// receiver written in the test, reading the protobuf field by field). The span continues the caller's W3C
/// traceparent, and the app sees the span's own ids in its environ.
/// </summary>
public sealed class OtlpTests(ITestOutputHelper output)
{
    private const string CallerTraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string CallerSpanId = "b7ad6b7169203331";

    [Fact]
    public async Task SpansContinueTheCallersTraceAndMetricsArrive()
    {
        using var receiver = new OtlpReceiver();
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1", "--otlp-endpoint", receiver.Endpoint],
            environment: new Dictionary<string, string?> { ["OTEL_METRIC_EXPORT_INTERVAL"] = "500" });

        JsonElement traced = (await site.GetAsync("/", $"traceparent: 00-{CallerTraceId}-{CallerSpanId}-01")).AssertStatus(200).Json();
        JsonElement untraced = (await site.GetAsync("/second")).AssertStatus(200).Json();
        (await site.GetAsync("/third")).AssertStatus(200);

        // What the app saw: the caller's trace, a span of PyHost's own, a traceparent to pass on, the caller's untouched.
        string spanId = traced.GetProperty("span_id").GetString()!;
        Assert.Equal(CallerTraceId, traced.GetProperty("trace_id").GetString());
        Assert.Matches("^[0-9a-f]{16}$", spanId);
        Assert.NotEqual(CallerSpanId, spanId);
        Assert.Equal($"00-{CallerTraceId}-{spanId}-01", traced.GetProperty("traceparent").GetString());
        Assert.Equal($"00-{CallerTraceId}-{CallerSpanId}-01", traced.GetProperty("caller_traceparent").GetString());
        Assert.Matches("^[0-9a-f]{32}$", untraced.GetProperty("trace_id").GetString());
        Assert.NotEqual(CallerTraceId, untraced.GetProperty("trace_id").GetString());

        // The span on the wire (opentelemetry/proto/trace/v1/trace.proto): ExportTraceServiceRequest.resource_spans = 1,
        // ResourceSpans.scope_spans = 2, ScopeSpans.spans = 2; Span: trace_id 1, span_id 2, parent_span_id 4, name 5,
        // kind 6 (2 = SERVER), attributes 9.
        ReadOnlyMemory<byte>? span = null;
        Assert.True(await Until.HoldsAsync(() =>
        {
            span = receiver.Exports.Where(e => e.Path == "/v1/traces").SelectMany(e => Protobuf.At(e.Body, 1, 2, 2))
                .Cast<ReadOnlyMemory<byte>?>()
                .FirstOrDefault(s => Convert.ToHexStringLower(Field(s!.Value, 2).Span) == spanId);
            return Task.FromResult(span is not null);
        }, TimeSpan.FromSeconds(20)), $"No span {spanId} reached the receiver ({receiver.Exports.Count} exports).\n{site.Process.Describe()}");
        Assert.Equal(CallerTraceId, Convert.ToHexStringLower(Field(span!.Value, 1).Span));
        Assert.Equal(CallerSpanId, Convert.ToHexStringLower(Field(span.Value, 4).Span));
        Assert.Equal("GET /", System.Text.Encoding.UTF8.GetString(Field(span.Value, 5).Span));
        Assert.Equal(2UL, Protobuf.Fields(span.Value).First(f => f.Number == 6).Scalar);
        Dictionary<string, string> attributes = Protobuf.Attributes(span.Value, 9);
        Assert.Equal("200", attributes["http.response.status_code"]);
        Assert.Equal("GET", attributes["http.request.method"]);
        Assert.Equal(traced.GetProperty("request_id").GetString(), attributes["pyhost.request_id"]);
        Assert.All(receiver.Exports, export => Assert.Equal("application/x-protobuf", export.ContentType));

        // The metrics (metrics.proto): ResourceMetrics.scope_metrics = 2, ScopeMetrics.metrics = 2; Metric: name 1,
        // sum 7; Sum.data_points 1; NumberDataPoint: as_int 6, attributes 7. Cumulative: the last export says 3.
        long? requests = null;
        Assert.True(await Until.HoldsAsync(() =>
        {
            requests = receiver.Exports.Where(e => e.Path == "/v1/metrics").SelectMany(e => Protobuf.At(e.Body, 1, 2, 2))
                .Where(metric => System.Text.Encoding.UTF8.GetString(Field(metric, 1).Span) == "pyhost.http.requests")
                .SelectMany(metric => Protobuf.At(metric, 7, 1))
                .Where(point => Protobuf.Attributes(point, 7).GetValueOrDefault("status") == "2xx")
                .Select(point => (long?)(long)Protobuf.Fields(point).First(f => f.Number == 6).Scalar)
                .LastOrDefault();
            return Task.FromResult(requests == 3);
        }, TimeSpan.FromSeconds(20)), $"pyhost.http.requests reached the receiver as {requests?.ToString() ?? "nothing"}, not 3.");
        Assert.Contains(receiver.Exports.Where(e => e.Path == "/v1/metrics").SelectMany(e => Protobuf.At(e.Body, 1, 2, 2)),
            metric => System.Text.Encoding.UTF8.GetString(Field(metric, 1).Span) == "pyhost.workers");
    }

    private static ReadOnlyMemory<byte> Field(ReadOnlyMemory<byte> message, int number) =>
        Protobuf.Fields(message).First(f => f.Number == number).Bytes;
}
