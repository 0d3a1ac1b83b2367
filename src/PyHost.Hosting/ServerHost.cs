using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Configuration.Model;
using PyHost.Hosting.Apps;
using PyHost.Hosting.Front;
using PyHost.Http;
using PyHost.Http.Cgi;
using PyHost.Http.Listening;
using PyHost.Http.Routing;
using PyHost.Http.StaticFiles;
using PyHost.Tls;
using PyHost.Tls.Certificates;
using PyHost.Workers.Dispatch.Buffering;
using PyHost.Workers.Python;
using PyHost.Workers.Supervision;

namespace PyHost.Hosting;

/// <summary>What a server runs with besides its configuration: logging, the runtime directory, buffers, sockets.</summary>
public sealed record ServerContext
{
    public required ILoggerFactory Loggers { get; init; }

    public required ILoggerProvider LoggerProvider { get; init; }

    public required LogLevel MinimumLevel { get; init; }

    public required RuntimeDirectory Runtime { get; init; }

    public required BufferBudget Buffers { get; init; }

    public required ListenerSet Sockets { get; init; }

    public required ListenerSettings SocketSettings { get; init; }

    public IWorkerOutputSink? WorkerOutput { get; init; }

    public AccessLog? AccessLog { get; init; }
}

/// <summary>
/// One configuration running: its apps (a worker pool and an arbiter each), its listeners (a Kestrel each, all handing
/// requests to one <see cref="HttpFront"/>), and the route table between them. <see cref="ReloadAsync"/> turns it into
/// the next configuration without dropping a request: new apps boot before the routes point at them, changed apps
/// reload generation by generation, removed apps drain after the routes left them, listeners come and go.
/// </summary>
public sealed partial class ServerHost : IAsyncDisposable
{
    private readonly ServerContext _context;
    private readonly ILogger _log;
    private readonly Dictionary<string, AppHost> _apps = new(StringComparer.Ordinal);
    private readonly List<RunningListener> _listeners = new();
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly StaticFileRoute _statics = new([]);   // one open-file cache for every static route
    private readonly CgiRoute _cgi;
    private PyHostConfig _config;
    private TlsFront? _tls;   // the configuration's certificates and handshakes; null when no listener speaks TLS

    private ServerHost(ServerContext context, PyHostConfig config, HttpFront front)
    {
        _context = context;
        _config = config;
        Front = front;
        _log = context.Loggers.CreateLogger("pyhost");
        _cgi = new CgiRoute(context.Loggers);
    }

    public HttpFront Front { get; }

    public PyHostConfig Config => _config;

    public IReadOnlyCollection<AppHost> Apps => _apps.Values;

    /// <summary>The sockets served now, as URLs to print (https:// for a TLS listener).</summary>
    public IReadOnlyList<string> ListenerUrls => _listeners.Select(listener => listener.Config.Tls == ListenerTls.None
        ? listener.Host.Listener.Url
        : "https://" + listener.Host.Listener.Url["http://".Length..]).ToList();

    public IEnumerable<AcceptControl> AcceptControls => _listeners.Select(listener => listener.Host.Accepting);

    /// <summary>Workers the apps aim for, all together.</summary>
    public int TargetWorkers => _apps.Values.Sum(app => app.Arbiter.TargetWorkers);

    public bool IsResponsive => _apps.Values.All(app => app.Arbiter.IsResponsive);

    /// <summary>Completes with an exit status when an app can no longer serve at all (its workers keep failing to boot).</summary>
    public Task<int> Fatal { get; private set; } = new TaskCompletionSource<int>().Task;

    /// <summary>
    /// Starts the apps, and only once every app has a ready worker, the listeners (nothing is accepted before the server
    /// can serve). Returns the server and 0, or null and the exit status of the app that could not start.
    /// </summary>
    public static async Task<(ServerHost? Server, int Status)> StartAsync(ServerContext context, PyHostConfig config, FrontTrust trust,
        Func<Task> startAborted)
    {
        // Certificates first: a file that cannot be served stops the start before any worker boots.
        TlsFront? tls = CreateTls(config, context.Loggers, out string? tlsError);
        if (tlsError is not null)
        {
            throw new StartupException($"cannot serve TLS: {tlsError}", exitStatus: 2);
        }
        var front = new HttpFront(RouteTable.Empty, trust, context.AccessLog, context.Loggers.CreateLogger("pyhost.front"));
        var server = new ServerHost(context, config, front) { _tls = tls };
        foreach (AppConfig app in config.Apps)
        {
            server._apps[app.Name] = server.CreateApp(app, config);
        }
        // The routes before the workers: a missing directory or error page is reported before any worker boots.
        RouteTable routes;
        RouteResources resources;
        try
        {
            (routes, resources) = server.BuildRoutes(config, server._apps);
        }
        catch
        {
            await DisposeAllAsync(server._apps.Values);
            throw;
        }
        Task<int[]> booted = Task.WhenAll(server._apps.Values.Select(app => app.StartAsync()));
        Task aborted = startAborted();
        if (await Task.WhenAny(booted, aborted) != booted)
        {
            await server.StopAppsAsync(TimeSpan.FromSeconds(2));
            await resources.DisposeAsync();
            return (null, 0);
        }
        if (booted.Result.FirstOrDefault(status => status != 0) is var failed and not 0)
        {
            await server.StopAppsAsync(TimeSpan.FromSeconds(2));
            await resources.DisposeAsync();
            return (null, failed);
        }
        server.Fatal = AnyFatal(server._apps.Values);
        front.Routes = routes;
        server.UseResources(resources, config.Server.GracefulTimeout);
        server.PublishApps();
        foreach (StaticMount mount in routes.Endpoints.OfType<StaticEndpoint>().Select(files => files.Mount).Distinct())
        {
            server.LogStaticMount(mount.UrlPrefix, mount.Directory);
        }
        try
        {
            foreach (ListenerConfig listener in config.Listeners)
            {
                foreach (FrontListener socket in server.SocketsFor(listener))
                {
                    server._listeners.Add(await server.StartListenerAsync(listener, socket));
                }
            }
        }
        catch (ListenException ex)
        {
            await server.StopAsync(TimeSpan.FromSeconds(2));
            await server.DisposeAsync();
            throw new StartupException(ex.Message);
        }
        tls?.StartMaintenance();
        await server.ReconcileMongrel2Async(config.Server);
        return (server, 0);
    }

    private AppHost CreateApp(AppConfig app, PyHostConfig config) =>
        AppHost.Create(app, config.Server, config.Provenance, _context.Runtime, _context.Buffers, _context.Loggers, _context.WorkerOutput, _log);

    /// <summary>The sockets a listener serves: those already open for its address (bound at start or inherited).</summary>
    private IReadOnlyList<FrontListener> SocketsFor(ListenerConfig listener)
    {
        return _context.Sockets.Listeners.Where(socket => socket.Serves(listener.Address)).ToList();
    }

    private async Task<RunningListener> StartListenerAsync(ListenerConfig listener, FrontListener socket)
    {
        FrontListenerSettings settings = ListenerSettingsFactory.SettingsOf(listener);
        ListenerSet.Listen(socket, settings.Backlog);
        var host = HttpListenerHost.Create(socket, settings, Front, _context.LoggerProvider, _context.MinimumLevel, _config.Server.GracefulTimeout,
            _tls is null ? null : new HttpListenerHost.ListenerTlsBinding(_tls, listener));
        await host.StartAsync();
        return new RunningListener(listener, settings, host);
    }

    /// <summary>The TLS of a configuration (null when no listener needs it), or the one-line reason it cannot be served.</summary>
    private static TlsFront? CreateTls(PyHostConfig config, ILoggerFactory loggers, out string? error)
    {
        error = null;
        TlsFrontOptions options = TlsFrontOptions.From(config);
        if (!options.IsNeeded)
        {
            return null;
        }
        try
        {
            return TlsFront.Create(options, loggers);
        }
        catch (CertificateLoadException ex)
        {
            error = ex.Message;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"the state directory cannot be used: {ex.Message}";
        }
        return null;
    }

    /// <summary>Graceful stop: the listeners stop accepting and finish their requests, then the apps' workers stop.</summary>
    public async Task StopAsync(TimeSpan workerGrace)
    {
        await StopMongrel2Async();
        // Open WebSockets are requests the listeners would wait for until the graceful timeout: 1001 (going away) first.
        foreach (AppHost app in _apps.Values)
        {
            app.Arbiter.CloseWebSockets();
        }
        foreach (RunningListener listener in _listeners)
        {
            await listener.Host.StopAsync();
        }
        await StopAppsAsync(workerGrace);
    }

    private async Task StopAppsAsync(TimeSpan grace)
    {
        await Task.WhenAll(_apps.Values.Select(app => app.StopAsync(grace)));
    }

    /// <summary>SIGQUIT: every worker of every app is killed at once.</summary>
    public void KillAll()
    {
        foreach (AppHost app in _apps.Values)
        {
            app.Arbiter.KillAll();
        }
    }

    /// <summary>Scales one app (by name; null means the only one).</summary>
    public async Task<string> ScaleAsync(string? appName, int delta, int? absolute)
    {
        if (appName is null && _apps.Count > 1)
        {
            return $"error: this server runs {_apps.Count} apps ({string.Join(", ", _apps.Keys)}): name the one to scale";
        }
        AppHost? app = appName is null ? _apps.Values.Single() : _apps.GetValueOrDefault(appName);
        if (app is null)
        {
            return $"error: no app named '{appName}' (apps: {string.Join(", ", _apps.Keys)})";
        }
        return $"ok: {await app.Arbiter.ScaleAsync(delta, absolute)} workers";
    }

    public async ValueTask DisposeAsync()
    {
        await StopMongrel2Async();
        foreach (RunningListener listener in _listeners)
        {
            await listener.Host.DisposeAsync();
        }
        foreach (AppHost app in _apps.Values)
        {
            await app.DisposeAsync();
        }
        if (_tls is not null)
        {
            await _tls.DisposeAsync();
        }
        await DisposeResourcesAsync();
        _statics.Dispose();
        _reloading.Dispose();
    }

    [LoggerMessage(EventId = 706, Level = LogLevel.Information, Message = "Static files: {Prefix}/ from {Directory}, answered without a worker")]
    private partial void LogStaticMount(string prefix, string directory);

    private sealed record RunningListener(ListenerConfig Config, FrontListenerSettings Settings, HttpListenerHost Host);
}
