using Microsoft.AspNetCore.Http;

namespace PyHost.Admin.Dashboard;

/// <summary>The dashboard: one HTML page with its CSS and script inline, embedded in the binary (no build step, no
/// files to install). It polls <c>GET /status</c> and <c>GET /errors</c> every second.</summary>
public static class DashboardPage
{
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using Stream stream = typeof(DashboardPage).Assembly.GetManifestResourceStream("dashboard.html")
                              ?? throw new InvalidOperationException("the dashboard page is not embedded in this build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static async Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        // The page runs only its own inline script and talks only to this listener.
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";
        await context.Response.Body.WriteAsync(Page.Value);
    }
}
