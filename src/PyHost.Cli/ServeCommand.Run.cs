using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using PyHost.Admin.Api;
using PyHost.Admin.Telemetry;
using PyHost.Cli.Logging;
using PyHost.Cli.Operations;
using PyHost.Http;
using PyHost.Http.Listening;
using PyHost.Workers;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;
using PyHost.Workers.Posix;
using PyHost.Workers.Python;
using PyHost.Workers.Supervision;

namespace PyHost.Cli;

// The server's life, from the first signal handler to the last log line.
public static partial class ServeCommand
{
    /// <summary>
    /// The server's life: signals first (they work in every state), then everything that can fail on a user mistake
    /// (log files, listening sockets, pid file), each with one line and status 1 before a worker boots; then the
    /// privilege drop, the workers, and only once one serves: listen, pid file, control socket, "Listening", READY=1.
    /// </summary>
    private static async Task<int> RunAsync(ParseResult parsed)
    {
        using var signals = SignalRouter.Install();
        try
        {
            return await ServeAsync(parsed, signals);
        }
        catch (StartupException ex)
        {
            Console.Error.WriteLine($"{ErrorLog.ErrorPrefixForStandardError()}pyhost: error: {ex.Message}");
            return 1;
        }
        catch (Exception ex)
        {
            InternalError.Report(ex);
            return 1;
        }
    }

    private static async Task<int> ServeAsync(ParseResult parsed, SignalRouter signals)
    {
        if (RefuseWorkerClass(parsed.GetValue(WorkerClass)!) is { } refusal)
        {
            Console.Error.WriteLine(refusal);
            return 2;
        }
        LogLevel level = ParseLogLevel(parsed.GetValue(LogLevelOption)!)!.Value;
        using ErrorLog errorLog = StartupStep(() => ErrorLog.Open(parsed.GetValue(ErrorLogFile), JsonErrorLog(parsed)));
        using var logging = new ServerLoggerProvider(errorLog, level);
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logging).SetMinimumLevel(level));
        ILogger log = loggerFactory.CreateLogger("pyhost");
        signals.Unhandled = name => LogSignalDuringStart(log, name);
        SetProcessName(parsed.GetValue(ProcessName));

        string appDirectory = Path.GetFullPath(parsed.GetValue(Chdir) ?? Environment.CurrentDirectory);
        PythonChoice python;
        try
        {
            python = PythonLocator.Locate(parsed.GetValue(Python), appDirectory, Environment.GetEnvironmentVariable);
        }
        catch (FileNotFoundException ex)
        {
            Console.Error.WriteLine($"pyhost: error: {ex.Message}");
            return 2;
        }

        string? app = ResolveApp(parsed, appDirectory, log);
        if (app is null)
        {
            return 2;
        }
        var options = new WorkerOptions
        {
            App = app,
            Python = python.Path,
            Workers = parsed.GetValue(Workers) ?? DefaultWorkers(),
            WorkingDirectory = appDirectory,
            PythonPath = (parsed.GetValue(PythonPathDirs) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            EnvironmentVariables = (parsed.GetValue(Env) ?? []).Select(pair => pair.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]),
            Timeout = TimeSpan.FromSeconds(parsed.GetValue(Timeout)),
            Debug = parsed.GetValue(Debug),
            MaxQueuedRequests = parsed.GetValue(MaxQueuedRequests),
            GracefulTimeout = TimeSpan.FromSeconds(parsed.GetValue(GracefulTimeout)),
            MaxRequests = parsed.GetValue(MaxRequests),
            MaxRequestsJitter = parsed.GetValue(MaxRequestsJitter),
            MaxWorkerMemoryMib = parsed.GetValue(MaxWorkerMemory),
            WorkersMax = parsed.GetValue(WorkersMax) ?? 0,
            IdleTimeout = TimeSpan.FromSeconds(parsed.GetValue(IdleTimeout)),
            Threads = parsed.GetValue(Threads),
            User = parsed.GetValue(User),
            Group = parsed.GetValue(Group),
            Preload = parsed.GetValue(Preload),
            MaxBootFailures = parsed.GetValue(MaxBootFailures),
            ProcessName = parsed.GetValue(ProcessName),
            PipelineDepth = parsed.GetValue(PipelineDepth) ?? new WorkerOptions { App = "", Python = "" }.PipelineDepth,
        };
        var graceful = TimeSpan.FromSeconds(parsed.GetValue(GracefulTimeout));

        UpgradeHandoff? handoff = UpgradeHandoff.FromEnvironment();
        log.LogInformation("Starting pyhost {Version}{Upgrade}", typeof(ServeCommand).Assembly.GetName().Version?.ToString(3),
            handoff is null ? "" : $", taking over from pid {handoff.Predecessor} (binary upgrade)");
        log.LogInformation("Using Python {Python} ({Reason})", python.Path, python.Reason);
        WarnAboutStaleVirtualenv(parsed, python, log);
        using SystemdNotifier notifier = SystemdNotifier.FromEnvironment();
        // The workers' stderr is a pipe to this process, not the journal; a binary upgrade's successor gets it back.
        string? journalStream = Environment.GetEnvironmentVariable("JOURNAL_STREAM");
        Environment.SetEnvironmentVariable("JOURNAL_STREAM", null);

        Privileges.Target privileges = Privileges.Resolve(options.User, options.Group, out string? accountError)
                                       ?? throw new StartupException(accountError!);
        await using AccessLog? accessLog = parsed.GetValue(AccessLogFile) is { } accessTarget
            ? StartupStep(() => new AccessLog(accessTarget, AccessLogFormatFrom(parsed)))
            : null;
        IReadOnlyList<FrontListener> inherited = StartupStep(InheritedSockets.Take);
        List<BindAddress> binds = StartupStep(() => ResolveBinds(parsed, inherited.Count > 0, log));
        using ListenerSet listeners = StartupStep(() => ListenerSet.Open(inherited, new ListenerSettings
        {
            Binds = binds,
            UnixSocketMode = UnixSocketMode(parsed),
            UnixSocketGroup = options.Group is null ? null : privileges.GroupId,
        }));
        foreach (FrontListener listener in listeners.Listeners.Where(listener => listener.InheritedFrom is not null))
        {
            LogInheritedSocket(log, listener.Url, listener.InheritedFrom!);
        }
        if (Privileges.IsNeeded(privileges))
        {
            StartupStep(() => Privileges.Drop(privileges));
            LogPrivilegesDropped(log, privileges.Describe());
        }
        PidFile? pidFile = parsed.GetValue(PidFile) is { } pidPath ? new PidFile(pidPath) : null;
        if (pidFile?.Problem() is { } pidProblem)
        {
            throw new StartupException(pidProblem);
        }
        RemoveStaleRuntimeDirectories(log);

        using RuntimeDirectory runtime = RuntimeDirectory.Create();
        var buffers = new BufferBudget(new BufferLimits { Directory = runtime.Path }, loggerFactory.CreateLogger("pyhost.buffers"));
        var pool = new WorkerPool(new WorkerPoolOptions
        {
            MaxQueued = options.MaxQueuedRequests,
            Buffers = buffers,
            PipelineMaxAge = PipelineMaxAgeFrom(parsed),
        });
        using TelemetryExport telemetry = StartTelemetry(parsed);
        var frontOptions = WithHttpOptions(parsed, WithFrameworkOptions(parsed, new HttpFrontOptions
        {
            Binds = binds,
            Listeners = listeners.Listeners,
            Backlog = parsed.GetValue(Backlog),
            GracefulTimeout = graceful,
            Dispatch = DispatchPolicyFrom(parsed),
        }));
        WebApplication web = HttpFront.Build(frontOptions, pool, accessLog, logging, level);
        await using var arbiter = new Arbiter(options, runtime, pool, loggerFactory, errorLog);
        var upgrade = new BinaryUpgrade(listeners, notifier, TimeSpan.FromMinutes(5), loggerFactory.CreateLogger("pyhost.upgrade"))
        {
            SuccessorEnvironment = journalStream is null ? [] : [new("JOURNAL_STREAM", journalStream)],
        };
        signals.On(SignalRouter.SigQuit, () =>
        {
            LogQuit(log);
            arbiter.KillAll();
            runtime.Dispose();
            listeners.Close(removeSocketFiles: true);
            Environment.Exit(0);
        });
        signals.On(SignalRouter.SigUsr1, () => ReopenLogs(errorLog, accessLog, log));

        // Workers first: nothing is accepted before one can serve.
        Task<int> boot = arbiter.StartAsync();
        if (await Task.WhenAny(boot, signals.Stopped) != boot)
        {
            LogStopDuringStart(log, await signals.Stopped);
            upgrade.AbandonIfRunning();
            await arbiter.StopAsync(TimeSpan.FromSeconds(2));
            listeners.Close(removeSocketFiles: handoff is null);
            return 0;
        }
        if (boot.Result != 0)
        {
            LogStartFailed(log, app, boot.Result);
            await arbiter.StopAsync(TimeSpan.FromSeconds(2));
            listeners.Close(removeSocketFiles: handoff is null);
            return boot.Result;
        }

        await web.StartAsync();
        using CodeWatcher? watcher = parsed.GetValue(Reload)
            ? new CodeWatcher(appDirectory, parsed.GetValue(ReloadExtraFile) ?? [], arbiter.ReloadAsync, log)
            : null;
        await using AdminServer? control = await StartAdminAsync(parsed, ControlCommands.SocketPathFor(pidFile?.Path, runtime.Path),
            takeOver: handoff is not null, arbiter, frontOptions, () => listeners.Listeners.Select(listener => listener.Url).ToList(),
            telemetry, options, logging, level, log);
        if (control is null)
        {
            await web.StopAsync();
            await arbiter.StopAsync(TimeSpan.FromSeconds(2));
            listeners.Close(removeSocketFiles: handoff is null);
            return 1;
        }
        pidFile?.Write();
        foreach (FrontListener listener in listeners.Listeners)
        {
            log.LogInformation("Listening on {Url}", listener.Url);
        }
        log.LogInformation("Control socket: {Path} (the admin API: pyhost reload, scale N, top)", control.SocketPath);
        if (control.TcpUrl is { } adminUrl)
        {
            log.LogInformation("Admin API and dashboard: {Url} (bearer token from --admin-token-file)", adminUrl);
        }
        string Summary() => $"serving {arbiter.TargetWorkers} workers on {string.Join(", ", listeners.Listeners.Select(listener => listener.Url))}";
        signals.On(SignalRouter.SigHup, () => _ = ReloadForSignalAsync(arbiter, notifier, Summary));
        signals.On(SignalRouter.SigTtin, () => _ = ScaleForSignalAsync(arbiter, notifier, +1, Summary));
        signals.On(SignalRouter.SigTtou, () => _ = ScaleForSignalAsync(arbiter, notifier, -1, Summary));
        signals.On(SignalRouter.SigUsr2, upgrade.Start);
        notifier.Ready(Summary(), () => arbiter.IsResponsive, mainPid: handoff is not null);
        handoff?.SignalReady();

        Task finished = await Task.WhenAny(signals.Stopped, arbiter.Fatal, upgrade.HandedOver);
        int exitStatus = 0;
        bool handedOver = finished == upgrade.HandedOver;
        if (finished == arbiter.Fatal)
        {
            exitStatus = arbiter.Fatal.Result;
            LogNoWorkerCanServe(log, exitStatus);
        }
        if (handedOver)
        {
            // The successor accepts now; this process only finishes what it has. Each keep-alive connection is told
            // "Connection: close" with its next response, so no client finds its next request cut off.
            AcceptControl accepting = HttpFront.AcceptControlOf(web);
            await accepting.StopAcceptingAsync();
            listeners.Close(removeSocketFiles: false);
            await accepting.WaitForConnectionsToCloseAsync(graceful < TimeSpan.FromSeconds(10) ? graceful : TimeSpan.FromSeconds(10));
        }
        else
        {
            upgrade.AbandonIfRunning();
            notifier.Stopping("stopping: finishing in-flight requests");
        }

        log.LogInformation("Shutting down: finishing in-flight requests (up to {Seconds} s)", graceful.TotalSeconds);
        await web.StopAsync();
        await arbiter.StopAsync(TimeSpan.FromSeconds(5));
        listeners.Close(removeSocketFiles: !handedOver);
        pidFile?.RemoveIfMine();
        log.LogInformation("Stopped");
        return exitStatus;
    }

    private static int DefaultWorkers() =>
        int.TryParse(Environment.GetEnvironmentVariable("WEB_CONCURRENCY"), out int fromEnvironment) && fromEnvironment > 0
            ? fromEnvironment
            : Environment.ProcessorCount;
}
