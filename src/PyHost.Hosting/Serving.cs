using Microsoft.Extensions.Logging;
using PyHost.Configuration;
using PyHost.Configuration.Model;
using PyHost.Hosting.Apps;
using PyHost.Hosting.Front;
using PyHost.Hosting.Logging;
using PyHost.Hosting.Operations;
using PyHost.Http;
using PyHost.Http.Listening;
using PyHost.Admin.Api;
using PyHost.Admin.Telemetry;
using PyHost.Hosting.Admin;
using PyHost.Http.Observability;
using PyHost.Workers.Observability;
using PyHost.Workers.Dispatch.Buffering;
using PyHost.Workers.Posix;
using PyHost.Workers.Python;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace PyHost.Hosting;

/// <summary>What <c>pyhost serve</c> runs: the configuration, and how to read it again for a reload.</summary>
public sealed record ServeRequest
{
    public required PyHostConfig Config { get; init; }

    /// <summary>Reads the configuration again (SIGHUP, <c>pyhost reload</c>): the same arguments, environment and file.</summary>
    public required Func<ConfigLoadResult> Reread { get; init; }

    /// <summary>The version to print at start.</summary>
    public required string Version { get; init; }
}

/// <summary>
/// The server's life, from the first signal handler to the last log line: signals first (they work in every state),
/// then everything that can fail on a user mistake (log files, listening sockets, pid file), each with one line and
/// status 1 before a worker boots; then the privilege drop, the apps' workers, and only once every app has one ready:
/// listen, pid file, control socket, "Listening", READY=1.
/// </summary>
public static partial class Serving
{
    public static async Task<int> RunAsync(ServeRequest request)
    {
        if (!ConfiguredFilesExist(request.Config))
        {
            return ConfigurationMistake;
        }
        using var signals = SignalRouter.Install();
        try
        {
            return await ServeAsync(request, signals);
        }
        catch (StartupException ex)
        {
            Console.Error.WriteLine($"{ErrorLog.ErrorPrefixForStandardError()}pyhost: error: {ex.Message}");
            return ex.ExitStatus;
        }
        catch (Exception ex)
        {
            InternalError.Report(ex);
            return 1;
        }
    }

    private static async Task<int> ServeAsync(ServeRequest request, SignalRouter signals)
    {
        PyHostConfig config = request.Config;
        LogLevel level = LevelOf(config.Log.Level);
        using ErrorLog errorLog = StartupStep(() => ErrorLog.Open(config.Log.ErrorLog, json: config.Log.ErrorFormat == ErrorLogFormat.Json));
        using var logging = new ServerLoggerProvider(errorLog, level);
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logging).SetMinimumLevel(level));
        ILogger log = loggerFactory.CreateLogger("pyhost");
        signals.Unhandled = name => LogSignalDuringStart(log, name);
        SetProcessName(config.Server.Name);

        UpgradeHandoff? handoff = UpgradeHandoff.FromEnvironment();
        log.LogInformation("Starting pyhost {Version}{Upgrade}", request.Version,
            handoff is null ? "" : $", taking over from pid {handoff.Predecessor} (binary upgrade)");
        using SystemdNotifier notifier = SystemdNotifier.FromEnvironment();
        // The workers' stderr is a pipe to this process, not the journal; a binary upgrade's successor gets it back.
        string? journalStream = Environment.GetEnvironmentVariable("JOURNAL_STREAM");
        Environment.SetEnvironmentVariable("JOURNAL_STREAM", null);

        Privileges.Target? privileges = FrontPrivileges(config, log);
        AccessLogFormat accessFormat = AccessLogFormatOf(config.Log);
        AdminHosting.AdminPlan admin = AdminHosting.Prepare(config.Admin);
        await using AccessLog? accessLog = config.Log.AccessLog is { } accessTarget
            ? StartupStep(() => new AccessLog(accessTarget, accessFormat))
            : null;
        IReadOnlyList<FrontListener> inherited = StartupStep(InheritedSockets.Take);
        config = ServeInheritedSockets(config, inherited, log);
        var socketSettings = new ListenerSettings
        {
            Binds = config.Listeners.Select(listener => listener.Address).ToList(),
            UnixSocketMode = config.Server.Umask is { } mask ? (UnixFileMode)(0b110_110_110 & ~mask) : (UnixFileMode)0b110_110_000,
            UnixSocketGroup = privileges?.Group is null ? null : privileges.GroupId,
        };
        using ListenerSet sockets = StartupStep(() => ListenerSet.Open(inherited, socketSettings));
        foreach (FrontListener listener in sockets.Listeners.Where(listener => listener.InheritedFrom is not null))
        {
            LogInheritedSocket(log, listener.Url, listener.InheritedFrom!);
        }
        if (privileges is not null && Privileges.IsNeeded(privileges))
        {
            StartupStep(() => Privileges.Drop(privileges));
            LogPrivilegesDropped(log, privileges.Describe());
        }
        PidFile? pidFile = config.Server.PidFile is { } pidPath ? new PidFile(pidPath) : null;
        if (pidFile?.Problem() is { } pidProblem)
        {
            throw new StartupException(pidProblem);
        }
        RemoveStaleRuntimeDirectories(log);

        using RuntimeDirectory runtime = RuntimeDirectory.Create();
        var context = new ServerContext
        {
            Loggers = loggerFactory,
            LoggerProvider = logging,
            MinimumLevel = level,
            Runtime = runtime,
            Buffers = new BufferBudget(new BufferLimits { Directory = runtime.Path }, loggerFactory.CreateLogger("pyhost.buffers")),
            Sockets = sockets,
            SocketSettings = socketSettings,
            WorkerOutput = errorLog,
            AccessLog = accessLog,
        };

        using TelemetryExport telemetry = AdminHosting.StartTelemetry(config.Admin);
        using IDisposable bufferMetrics = WorkerMetrics.ObserveBuffers(context.Buffers);
        ServerHost? server = null;
        var quitting = new TaskCompletionSource();
        signals.On(SignalRouter.SigQuit, () =>
        {
            LogQuit(log);
            server?.KillAll();
            runtime.Dispose();
            sockets.Close(removeSocketFiles: true);
            Environment.Exit(0);
        });
        signals.On(SignalRouter.SigUsr1, () => ReopenLogs(errorLog, accessLog, log));

        // Workers first: nothing is accepted before every app can serve.
        int status;
        bool started = false;
        try
        {
            (server, status) = await ServerHost.StartAsync(context, config, ServerTrust.Of(config.Server), async () =>
            {
                string signal = await signals.Stopped;
                if (!Volatile.Read(ref started))   // the same signal after the start is an ordinary stop
                {
                    LogStopDuringStart(log, signal);
                }
            });
            Volatile.Write(ref started, true);
        }
        catch (Exception ex) when (ex is AppConfigurationException or ServerConfigurationException)
        {
            throw new StartupException(ex.Message, exitStatus: ConfigurationMistake);   // the configuration asks for what cannot be
        }
        if (server is null)
        {
            if (status != 0)
            {
                LogStartFailed(log, string.Join(", ", config.Apps.Select(app => app.Name)), status);
            }
            sockets.Close(removeSocketFiles: handoff is null);
            return status;
        }
        await using ServerHost running = server;

        var control = new ServerControl(running, request.Reread, notifier, log);
        await using AdminServer controlSocket = await AdminHosting.StartAsync(admin, running, control, pidFile?.Path, runtime.Path,
            takeOver: handoff is not null, telemetry, logging, level);
        var upgrade = new BinaryUpgrade(sockets, notifier, TimeSpan.FromMinutes(5), loggerFactory.CreateLogger("pyhost.upgrade"))
        {
            SuccessorEnvironment = journalStream is null ? [] : [new("JOURNAL_STREAM", journalStream)],
        };
        pidFile?.Write();
        foreach (string url in running.ListenerUrls)
        {
            log.LogInformation("Listening on {Url}", url);
        }
        log.LogInformation("Control socket: {Path} (the admin API: pyhost reload, scale N, top)", controlSocket.SocketPath);
        if (controlSocket.TcpUrl is { } adminUrl)
        {
            log.LogInformation("Admin API and dashboard: {Url} (bearer token from [admin] token_file)", adminUrl);
        }
        signals.On(SignalRouter.SigHup, () => _ = control.ReloadAsync("SIGHUP"));
        signals.On(SignalRouter.SigTtin, () => _ = control.ScaleForSignalAsync(+1));
        signals.On(SignalRouter.SigTtou, () => _ = control.ScaleForSignalAsync(-1));
        signals.On(SignalRouter.SigUsr2, upgrade.Start);
        notifier.Ready(control.Summary(), () => running.IsResponsive, mainPid: handoff is not null);
        handoff?.SignalReady();
        await using IdleMemoryTrim idleTrim = IdleMemoryTrim.Start(loggerFactory.CreateLogger("pyhost.memory"));

        Task finished = await Task.WhenAny(signals.Stopped, running.Fatal, upgrade.HandedOver);
        int exitStatus = 0;
        bool handedOver = finished == upgrade.HandedOver;
        if (finished == running.Fatal)
        {
            exitStatus = running.Fatal.Result;
            LogNoWorkerCanServe(log, exitStatus);
        }
        TimeSpan graceful = running.Config.Server.GracefulTimeout;
        if (handedOver)
        {
            // The successor accepts now; this process only finishes what it has. Each keep-alive connection is told
            // "Connection: close" with its next response, so no client finds its next request cut off.
            foreach (AcceptControl accepting in running.AcceptControls)
            {
                await accepting.StopAcceptingAsync();
            }
            sockets.Close(removeSocketFiles: false);
            TimeSpan wait = graceful < TimeSpan.FromSeconds(10) ? graceful : TimeSpan.FromSeconds(10);
            await Task.WhenAll(running.AcceptControls.Select(accepting => accepting.WaitForConnectionsToCloseAsync(wait)));
        }
        else
        {
            upgrade.AbandonIfRunning();
            notifier.Stopping("stopping: finishing in-flight requests");
            if (finished == signals.Stopped)
            {
                await running.DrainAsync(signals.StoppedAgain);
            }
        }

        log.LogInformation("Shutting down: finishing in-flight requests (up to {Seconds} s)", graceful.TotalSeconds);
        await running.StopAsync(TimeSpan.FromSeconds(5));
        sockets.Close(removeSocketFiles: !handedOver);
        pidFile?.RemoveIfMine();
        log.LogInformation("Stopped");
        return exitStatus;
    }

    /// <summary>[log] access_format, checked when the configuration was read.</summary>
    private static AccessLogFormat AccessLogFormatOf(LogConfig log) =>
        AccessLogFormat.TryParse(log.AccessFormat, out AccessLogFormat format, out string? error)
            ? format
            : throw new StartupException($"[log] access_format: {error}", exitStatus: 2);

    private static LogLevel LevelOf(Configuration.Model.LogLevel level) => level switch
    {
        Configuration.Model.LogLevel.Debug => LogLevel.Debug,
        Configuration.Model.LogLevel.Info => LogLevel.Information,
        Configuration.Model.LogLevel.Warning => LogLevel.Warning,
        Configuration.Model.LogLevel.Error => LogLevel.Error,
        _ => LogLevel.Critical,
    };

    /// <summary>
    /// -u/-g: the front drops to the apps' user and group after binding, as nginx parses requests in unprivileged
    /// workers. With apps of different users the front keeps its own (each app's workers still drop to theirs).
    /// </summary>
    private static Privileges.Target? FrontPrivileges(PyHostConfig config, ILogger log)
    {
        var accounts = config.Apps.Select(app => (app.User, app.Group)).Distinct().ToList();
        if (accounts.Count != 1 || accounts[0] is (null, null))
        {
            if (accounts.Count > 1 && accounts.Any(account => account is not (null, null)))
            {
                log.LogInformation("The apps run as different users: the front keeps running as {Account}", Accounts.CurrentUserName());
            }
            return null;
        }
        return Privileges.Resolve(accounts[0].User, accounts[0].Group, out string? error) ?? throw new StartupException(error!);
    }

    /// <summary>
    /// Sockets handed over by systemd or by the PyHost this one replaces are served; when the configuration names no
    /// listener of its own (the default 127.0.0.1:8000 or $PORT), they are the only ones.
    /// </summary>
    private static PyHostConfig ServeInheritedSockets(PyHostConfig config, IReadOnlyList<FrontListener> inherited, ILogger log)
    {
        if (inherited.Count == 0)
        {
            return config;
        }
        bool listenersGiven = config.Provenance.Of("listen[0].address") is { } origin && origin is not Configuration.Diagnostics.DefaultOrigin
                              && origin is not Configuration.Diagnostics.EnvironmentOrigin;
        var listeners = listenersGiven ? config.Listeners.ToList() : [];
        foreach (FrontListener socket in inherited)
        {
            string address = socket.UnixSocketPath is { } path ? $"unix:{path}" : socket.EndPoint!.ToString();
            if (listeners.Any(listener => socket.Serves(listener.Address)))
            {
                continue;
            }
            if (ListenAddress.TryParse(address, "/", out ListenAddress? parsed, out _))
            {
                listeners.Add((config.Listeners.FirstOrDefault() ?? new ListenerConfig()) with { Address = parsed });
            }
        }
        return config with { Listeners = listeners };
    }
}
