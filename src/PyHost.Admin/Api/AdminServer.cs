using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using PyHost.Admin.Configuration;
using PyHost.Http;
using PyHost.Workers.Control;
using PyHost.Workers.Posix;

namespace PyHost.Admin.Api;

/// <summary>Everything the admin API reads and steers.</summary>
public sealed record AdminTargets
{
    /// <summary>The apps now (a reload adds and removes them).</summary>
    public required Func<IReadOnlyList<IAdminApp>> Apps { get; init; }

    /// <summary>The server's reload (its configuration read again: SIGHUP's) and its scaling by app name.</summary>
    public required IControlTarget Control { get; init; }

    /// <summary>The front's listening URLs.</summary>
    public required Func<IReadOnlyList<string>> Listeners { get; init; }

    public required IConfigurationEndpoint Configuration { get; init; }

    /// <summary>The upstreams of the proxy routes in force (a reload replaces them).</summary>
    public Func<IEnumerable<PyHost.Http.Proxy.Upstream>> Upstreams { get; init; } = () => [];

    /// <summary>Serves <c>/metrics</c> in Prometheus text format; null: no metrics.</summary>
    public MeterProvider? Metrics { get; init; }

    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.Now;
}

/// <summary>
/// The admin listener: its own Kestrel, on a unix socket (0600) and optionally on a TCP address where every request
/// but the dashboard page itself needs the bearer token. JSON in and out (System.Text.Json, source-generated); routes
/// in <see cref="AdminServer"/>'s Endpoints part. It shares nothing with the front's listeners, so a flood of site
/// traffic does not lock the operator out.
/// </summary>
public sealed partial class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly AdminSockets _sockets;
    private readonly AdminTargets _targets;
    private readonly string? _token;

    private AdminServer(WebApplication web, AdminSockets sockets, AdminTargets targets, string? token, string socketPath)
    {
        _web = web;
        _sockets = sockets;
        _targets = targets;
        _token = token;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    private FileIdentity? _socketIdentity;

    /// <summary>The TCP URL, when there is one (port 0 resolved).</summary>
    public string? TcpUrl { get; private set; }

    public static async Task<AdminServer> StartAsync(AdminOptions options, AdminTargets targets, ILoggerProvider logging, LogLevel minimumLevel)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logging);
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Logging.AddFilter("Microsoft", minimumLevel > LogLevel.Warning ? minimumLevel : LogLevel.Warning);
        AdminSockets sockets = AdminSockets.Bind(options.SocketPath, options.Tcp, options.TakeOver);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
            kestrel.ListenHandle((ulong)sockets.Unix.Handle);
            if (sockets.Tcp is { } tcp)
            {
                kestrel.ListenHandle((ulong)tcp.Handle);
            }
        });
        WebApplication web = builder.Build();
        var server = new AdminServer(web, sockets, targets, options.Token, options.SocketPath);
        web.Use(server.AuthenticateAsync);
        if (targets.Metrics is { } metrics)
        {
            web.UseOpenTelemetryPrometheusScrapingEndpoint(metrics, context => context.Request.Path == "/metrics", null, null, null);
        }
        web.Run(server.HandleAsync);
        try
        {
            await web.StartAsync();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            sockets.Dispose();
            throw new IOException(ex.Message, ex);
        }
        server._socketIdentity = sockets.Publish();
        server.TcpUrl = sockets.Tcp?.LocalEndPoint is IPEndPoint endPoint ? $"http://{endPoint}" : null;
        return server;
    }

    /// <summary>
    /// The unix socket is guarded by its file mode. On TCP every request but the dashboard page (static, no data in it)
    /// needs <c>Authorization: Bearer TOKEN</c>: 401 otherwise (RFC 6750 §3).
    /// </summary>
    private async Task AuthenticateAsync(HttpContext context, RequestDelegate next)
    {
        bool overUnixSocket = context.Features.Get<IConnectionEndPointFeature>()?.LocalEndPoint is UnixDomainSocketEndPoint
                              || context.Connection.LocalIpAddress is null;
        bool page = context.Request.Path.Value is "/" or "/dashboard" && HttpMethods.IsGet(context.Request.Method);
        if (overUnixSocket || page || (_token is not null && BearerToken.Matches(context.Request.Headers.Authorization, _token)))
        {
            await next(context);
            return;
        }
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"pyhost\"";
        await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "", "this admin address needs 'Authorization: Bearer TOKEN', the token of --admin-token-file");
    }

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
        _sockets.Dispose();
        // Only the socket this server made: after a binary upgrade (SIGUSR2) the path is the new server's.
        if (_socketIdentity is not null && LibC.IdentityOf(SocketPath) == _socketIdentity)
        {
            try
            {
                File.Delete(SocketPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
