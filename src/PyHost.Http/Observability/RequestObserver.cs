using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Observability;

/// <summary>
/// The outermost step of every request: gives it an id and a span, and once it is answered records it in the metrics,
/// the live statistics and the access log. The steps inside fill in the <see cref="RequestRecord"/>.
/// </summary>
/// <param name="trusted">Whose X-Request-ID is believed: the front's trust now (a reload may change it).</param>
public sealed class RequestObserver(AccessLog? accessLog, FrontStatistics statistics, Func<TrustedProxies> trusted)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var record = new RequestRecord(RequestRecord.RequestIdFor(context, trusted()), Stopwatch.GetTimestamp(), DateTimeOffset.Now);
        context.Features.Set(record);
        record.Activity = HttpTelemetry.StartSpan(context);
        try
        {
            await next(context);
        }
        finally
        {
            TimeSpan duration = Stopwatch.GetElapsedTime(record.StartedAt);
            int status = context.Response.StatusCode;
            HttpTelemetry.Record(record, context.Request.Method, status, duration);
            if (record.App is { } app)
            {
                statistics.For(app).Record(status, duration);
            }
            accessLog?.Write(context, record, duration);
            if (record.Activity is { } activity)
            {
                HttpTelemetry.EndSpan(activity, record, status);
            }
        }
    }
}

/// <summary>The live request statistics of every app, by name.</summary>
public sealed class FrontStatistics
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RequestStatistics> _apps = new();

    public RequestStatistics For(string app) => _apps.GetOrAdd(app, static _ => new RequestStatistics());
}
