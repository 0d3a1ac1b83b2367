using System.Text;
using Microsoft.AspNetCore.Http;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Health;

/// <summary>An app's readiness: its name and how many of its workers take requests now.</summary>
public readonly record struct AppReadiness(string App, int ReadyWorkers)
{
    public static AppReadiness Of(string app, WorkerPool pool) => new(app, pool.Workers.Count(worker => worker.IsAccepting));
}

/// <summary>
/// <c>GET /_pyhost/live</c>: 200 while the front answers at all (Kubernetes' liveness probe: restart only a stuck
/// process). <c>GET /_pyhost/ready</c>: 200 when every app has a worker taking requests and PyHost is not draining,
/// else 503 saying which (readiness probes, HAProxy's <c>option httpchk</c>, another PyHost's health_check). Served
/// on listeners with <c>health_endpoints</c> (by default loopback and unix ones), before any site, never cached.
/// </summary>
public sealed class HealthEndpoints(Func<IEnumerable<AppReadiness>> apps, DrainState drain)
{
    public const string LivePath = "/_pyhost/live";
    public const string ReadyPath = "/_pyhost/ready";

    /// <summary>Whether a request is for one of the health endpoints (any method; only GET and HEAD are answered 200).</summary>
    public static bool Matches(HttpRequest request) =>
        request.Path.Equals(LivePath, StringComparison.Ordinal) || request.Path.Equals(ReadyPath, StringComparison.Ordinal);

    /// <summary>Answers a request <see cref="Matches"/> says is for us; returns the body bytes sent.</summary>
    public async Task<long> AnswerAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.Headers.Allow = "GET, HEAD";
            return await WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "GET or HEAD only\n");
        }
        if (request.Path.Equals(LivePath, StringComparison.Ordinal))
        {
            return await WriteAsync(context, StatusCodes.Status200OK, "live\n");
        }
        (bool ready, string report) = Readiness();
        if (!ready)
        {
            response.Headers.RetryAfter = "1";
        }
        return await WriteAsync(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, report);
    }

    /// <summary>"ready" and one line per app; or "not ready" and why: "draining ...", "app 'blog': no ready worker".</summary>
    public (bool Ready, string Report) Readiness()
    {
        var lines = new StringBuilder();
        bool ready = true;
        if (drain.IsDraining)
        {
            ready = false;
            lines.Append("draining: shutting down, not taking new work\n");
        }
        foreach (AppReadiness app in apps())
        {
            ready &= app.ReadyWorkers > 0;
            lines.Append("app '").Append(app.App).Append("': ").Append(app.ReadyWorkers switch
            {
                0 => "no ready worker",
                1 => "1 ready worker",
                int count => $"{count} ready workers",
            }).Append('\n');
        }
        return (ready, (ready ? "ready\n" : "not ready\n") + lines);
    }

    private static async Task<long> WriteAsync(HttpContext context, int status, string text)
    {
        byte[] body = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return 0;
        }
        await context.Response.Body.WriteAsync(body);
        return body.Length;
    }
}
