using Microsoft.Extensions.Logging;
using PyHost.Admin;
using PyHost.Admin.Api;
using PyHost.Admin.Telemetry;
using PyHost.Configuration.Model;
using PyHost.Hosting.Operations;
using PyHost.Http;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace PyHost.Hosting.Admin;

/// <summary>
/// <c>[admin]</c> made real: the metrics and traces export, and the admin API over the running server — its apps as
/// they are now (a reload adds and removes them), its listeners, its reload and scaling through
/// <see cref="ServerControl"/>, and the live configuration (<see cref="LiveConfiguration"/>).
/// </summary>
public static class AdminHosting
{
    /// <summary>The exporters, started before the first listener so the first request already has its span.</summary>
    public static TelemetryExport StartTelemetry(AdminConfig admin) => TelemetryExport.Start(new TelemetryOptions
    {
        OtlpEndpoint = (admin.OtlpEndpoint ?? NonEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))) is { } endpoint
                       && Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? url) ? url : null,
        OtlpProtocol = admin.OtlpEndpoint is null && Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL") == "grpc"
                       || admin.OtlpProtocol == Configuration.Model.OtlpProtocol.Grpc
            ? PyHost.Admin.Telemetry.OtlpProtocol.Grpc
            : PyHost.Admin.Telemetry.OtlpProtocol.HttpProtobuf,
        // OpenTelemetry's own variable for the push interval, in milliseconds.
        OtlpMetricsInterval = int.TryParse(Environment.GetEnvironmentVariable("OTEL_METRIC_EXPORT_INTERVAL"), out int milliseconds) && milliseconds > 0
            ? TimeSpan.FromMilliseconds(milliseconds)
            : TimeSpan.FromSeconds(15),
    });

    /// <summary>What <c>[admin]</c> asks for, checked before any worker boots: the TCP address and the token file's
    /// secret. Throws <see cref="StartupException"/> (exit status 2) with one line naming the file or the value.</summary>
    public sealed record AdminPlan(ListenAddress? Tcp, string? Token);

    public static AdminPlan Prepare(AdminConfig admin)
    {
        ListenAddress? tcp = null;
        if (admin.Listen is { } listen && !ListenAddress.TryParse(listen, Environment.CurrentDirectory, out tcp, out string? error))
        {
            throw new StartupException($"[admin] listen {error}", exitStatus: 2);
        }
        string? token = null;
        if (admin.TokenFile is { } tokenFile && !BearerToken.TryRead(tokenFile, out token, out string? tokenError))
        {
            throw new StartupException(tokenError!, exitStatus: 2);
        }
        return new AdminPlan(tcp, token);
    }

    /// <summary>
    /// The admin API on the control socket (<c>[admin] socket</c>, else beside the pid file, else in the runtime
    /// directory) and on <c>[admin] listen</c> with the token of <c>token_file</c>. Throws <see cref="StartupException"/>
    /// with one line when it cannot listen. <paramref name="takeOver"/>: a binary upgrade's successor.
    /// </summary>
    public static async Task<AdminServer> StartAsync(AdminPlan plan, ServerHost server, ServerControl control, string? pidFile, string runtimeDirectory,
        bool takeOver, TelemetryExport telemetry, ILoggerProvider logging, LogLevel level)
    {
        AdminConfig admin = server.Config.Admin;
        var targets = new AdminTargets
        {
            Apps = () => server.Apps.Select(app => (IAdminApp)new ArbiterApp(app.Arbiter, server.Front.Statistics.For(app.Arbiter.AppName))).ToList(),
            Control = control,
            Listeners = () => server.ListenerUrls,
            Upstreams = () => server.Upstreams?.Upstreams ?? [],
            Configuration = new LiveConfiguration(server, control),
            Metrics = telemetry.Metrics,
        };
        try
        {
            return await AdminServer.StartAsync(new AdminOptions
            {
                SocketPath = admin.Socket is { } socket ? Path.GetFullPath(socket) : AdminOptions.ControlSocketPathFor(pidFile, runtimeDirectory),
                Tcp = plan.Tcp,
                Token = plan.Token,
                TakeOver = takeOver,
            }, targets, logging, level);
        }
        catch (IOException ex)
        {
            throw new StartupException($"cannot serve the admin API: {ex.Message}");
        }
    }

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
