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

namespace PyHost.Admin.Api;

/// <summary>Everything the admin API reads and steers.</summary>
public sealed record AdminTargets
{
    public required IReadOnlyList<IAdminApp> Apps { get; init; }

    /// <summary>The front's listening URLs.</summary>
    public required Func<IReadOnlyList<string>> Listeners { get; init; }

    public required IConfigurationEndpoint Configuration { get; init; }

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
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly WebApplication _web;
    private readonly AdminTargets _targets;
    private readonly string? _token;

    private AdminServer(WebApplication web, AdminTargets targets, string? token, string socketPath)
    {
        _web = web;
        _targets = targets;
        _token = token;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    /// <summary>The TCP URL, when there is one (port 0 resolved).</summary>
    public string? TcpUrl { get; private set; }

    public static async Task<AdminServer> StartAsync(AdminOptions options, AdminTargets targets, ILoggerProvider logging, LogLevel minimumLevel)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logging);
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Logging.AddFilter("Microsoft", minimumLevel > LogLevel.Warning ? minimumLevel : LogLevel.Warning);
        RemoveStaleSocket(options.SocketPath);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
            kestrel.ListenUnixSocket(options.SocketPath);
            if (options.Tcp is { } tcp)
            {
                if (tcp.IsLocalhost)
                {
                    kestrel.ListenLocalhost(tcp.Port);
                }
                else
                {
                    kestrel.Listen(tcp.Address!, tcp.Port);
                }
            }
        });
        WebApplication web = builder.Build();
        var server = new AdminServer(web, targets, options.Token, options.SocketPath);
        web.Use(server.AuthenticateAsync);
        if (targets.Metrics is { } metrics)
        {
            web.UseOpenTelemetryPrometheusScrapingEndpoint(metrics, context => context.Request.Path == "/metrics", null, null, null);
        }
        web.Run(server.HandleAsync);
        await web.StartAsync();
        // A socket file is made with the umask's mode: with the usual 022 others may not connect to it (connect needs
        // write permission), and from here on only the owner may.
        File.SetUnixFileMode(options.SocketPath, OwnerOnly);
        server.TcpUrl = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>(web.Services)
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses
            .FirstOrDefault(address => address.StartsWith("http://", StringComparison.Ordinal) && !address.StartsWith("http://unix:", StringComparison.Ordinal));
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

    private static void RemoveStaleSocket(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);   // left by a server that was killed
            return;
        }
        throw new IOException($"{path} is in use by another running server");
    }

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
        }
    }
}
