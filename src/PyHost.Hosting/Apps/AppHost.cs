using Microsoft.Extensions.Logging;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Workers;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;
using PyHost.Workers.Python;
using PyHost.Workers.Supervision;

namespace PyHost.Hosting.Apps;

/// <summary>
/// One <c>[app.NAME]</c> running: its interpreter, its worker pool and the arbiter that keeps the pool's workers
/// serving. Each app has its own, so apps with different interpreters, users or worker counts share one front.
/// </summary>
public sealed class AppHost : IAsyncDisposable
{
    private readonly RuntimeDirectory _runtime;
    private readonly ILogger _log;
    private CodeWatcher? _watcher;

    private AppHost(AppConfig config, WorkerOptions options, WorkerPool pool, Arbiter arbiter, RuntimeDirectory runtime, ILogger log)
    {
        Config = config;
        Options = options;
        Pool = pool;
        Arbiter = arbiter;
        _runtime = runtime;
        _log = log;
    }

    public string Name => Config.Name;

    /// <summary>The configuration it runs with now (a reload replaces it).</summary>
    public AppConfig Config { get; private set; }

    public WorkerOptions Options { get; private set; }

    public WorkerPool Pool { get; }

    public Arbiter Arbiter { get; }

    /// <summary>
    /// Resolves the app (interpreter, spec) and makes its pool and arbiter; nothing runs until <see cref="StartAsync"/>.
    /// Throws <see cref="AppConfigurationException"/> with a one-line reason when the app cannot be served.
    /// </summary>
    public static AppHost Create(AppConfig config, ServerConfig server, ConfigProvenance provenance, RuntimeDirectory runtime, BufferBudget buffers,
        ILoggerFactory loggers, IWorkerOutputSink? output, ILogger log)
    {
        WorkerOptions options = OptionsFor(config, server, provenance, log);
        var pool = new WorkerPool(PoolOptionsFor(config, server, buffers));
        var arbiter = new Arbiter(options, runtime, pool, loggers, output);
        // Its workers, restarts and queue in /metrics from its first worker on; removed with the app.
        arbiter.EnableMetrics();
        return new AppHost(config, options, pool, arbiter, runtime, log);
    }

    /// <summary>
    /// Whether the app's name shows in its workers' names and socket ("blog worker 2", workers-blog.sock): for every
    /// app a configuration file names, not for the one app of a command line. Fixed for the app's life, so a reload
    /// that leaves one app of two keeps its socket and its log names.
    /// </summary>
    public static bool IsNamed(AppConfig config) => config.Name != AppConfig.DefaultName;

    /// <summary>The worker settings of an app: the model's values with the server's defaults, the interpreter found.</summary>
    public static WorkerOptions OptionsFor(AppConfig config, ServerConfig server, ConfigProvenance provenance, ILogger log)
    {
        bool named = IsNamed(config);
        string directory = Path.GetFullPath(config.Chdir ?? Environment.CurrentDirectory);
        PythonChoice python;
        try
        {
            python = PythonLocator.Locate(config.Python, directory, Environment.GetEnvironmentVariable, GivenBy(provenance.Of($"app.{config.Name}.python")));
        }
        catch (FileNotFoundException ex)
        {
            throw new AppConfigurationException(ex.Message);
        }
        log.LogInformation("Using Python {Python} ({Reason}){ForApp}", python.Path, python.Reason, named ? $" for app {config.Name}" : "");
        // A deleted or moved virtualenv that is still "activated": say so, rather than run another interpreter silently.
        if (config.Python is null && Environment.GetEnvironmentVariable("VIRTUAL_ENV") is { Length: > 0 } virtualEnv && python.Reason != "from $VIRTUAL_ENV")
        {
            log.LogWarning("$VIRTUAL_ENV is {VirtualEnv}, which has no bin/python (was the virtualenv deleted or moved?); using {Python} ({Reason})",
                virtualEnv, python.Path, python.Reason);
        }
        ResolvedApp app = AppResolution.Resolve(config, directory, log, out string? problem)
                          ?? throw new AppConfigurationException(problem!);
        var environment = new Dictionary<string, string>(app.Environment);
        foreach (var (name, value) in config.Env)
        {
            environment[name] = value;
        }
        return new WorkerOptions
        {
            App = app.Spec,
            AppName = named ? config.Name : null,
            Python = python.Path,
            Workers = config.Workers ?? Environment.ProcessorCount,
            WorkersMax = config.WorkersMax ?? 0,
            IdleTimeout = config.IdleTimeout,
            WorkingDirectory = directory,
            PythonPath = config.PythonPath,
            EnvironmentVariables = environment,
            Timeout = config.Timeout,
            GracefulTimeout = config.GracefulTimeout ?? server.GracefulTimeout,
            Debug = config.Debug,
            MaxRequests = config.MaxRequests,
            MaxRequestsJitter = config.MaxRequestsJitter,
            MaxWorkerMemoryMib = config.MaxWorkerMemory is { } memory ? Math.Max(1, memory.Bytes >> 20) : 0,
            Threads = config.Threads,
            Preload = config.Preload,
            User = config.User,
            Group = config.Group,
            MaxQueuedRequests = config.MaxQueuedRequests ?? server.MaxQueuedRequests,
            PipelineDepth = config.PipelineDepth,
            MaxBootFailures = config.MaxBootFailures,
            ProcessName = server.Name,
            Interface = config.Interface,
            Lifespan = config.Lifespan,
            Loop = config.Loop,
            WorkerConnections = config.WorkerConnections,
        };
    }

    /// <summary>Where the app's <c>python</c> was given, as "Using Python ... (from ...)" says it.</summary>
    private static string GivenBy(SettingOrigin origin) => origin switch
    {
        FlagOrigin flag => flag.Flag,
        FileOrigin { Line: > 0 } file => $"{file.File}:{file.Line}",
        FileOrigin file => file.File,
        _ => origin.Describe(),
    };

    private static WorkerPoolOptions PoolOptionsFor(AppConfig config, ServerConfig server, BufferBudget buffers) => new()
    {
        MaxQueued = config.MaxQueuedRequests ?? server.MaxQueuedRequests,
        PipelineMaxAge = config.PipelineAge,
        Buffers = buffers,
        AppName = config.Name,
    };

    /// <summary>Boots the workers; 0 once all are ready, else the exit status of the failure.</summary>
    public Task<int> StartAsync()
    {
        if (Config.Reload)
        {
            _watcher = new CodeWatcher(Options.WorkingDirectory, Config.ReloadExtraFiles, reason => Arbiter.ReloadAsync(reason), _log);
        }
        return Arbiter.StartAsync();
    }

    /// <summary>
    /// A new generation of workers; with <paramref name="config"/> they run with its settings. The old workers serve
    /// until all new ones are ready; new code that fails to start leaves them serving.
    /// </summary>
    public async Task<string> ReloadAsync(string reason, AppConfig? config, ServerConfig server, ConfigProvenance provenance)
    {
        WorkerOptions? options = config is null ? null : OptionsFor(config, server, provenance, _log);
        string outcome = await Arbiter.ReloadAsync(reason, options);
        if (config is not null && options is not null && outcome.StartsWith("ok", StringComparison.Ordinal))
        {
            // Only now: a new generation that failed to start left the old one serving with the old settings.
            Pool.Reconfigure(PoolOptionsFor(config, server, Pool.Buffers));
            Config = config;
            Options = options;
        }
        return outcome;
    }

    /// <summary>Stops the workers; open WebSockets get 1001 (going away) at once rather than holding the stop.</summary>
    public Task StopAsync(TimeSpan grace)
    {
        Arbiter.CloseWebSockets();
        return Arbiter.StopAsync(grace);
    }

    public async ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        await Arbiter.DisposeAsync();
    }
}

/// <summary>An app cannot be served as configured (no interpreter, several candidate apps): one line for the user.</summary>
public sealed class AppConfigurationException(string message) : Exception(message);
