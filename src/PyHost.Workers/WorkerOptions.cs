namespace PyHost.Workers;

/// <summary>What the arbiter needs to run the workers; filled from the command line.</summary>
public sealed record WorkerOptions
{
    /// <summary>The app spec as gunicorn takes it: <c>module:attr</c>, <c>module</c>, <c>module:factory(...)</c>.</summary>
    public required string App { get; init; }

    /// <summary>
    /// The app's name in a configuration with several (<c>[app.NAME]</c>): its workers get a socket of their own and
    /// are named "NAME worker 3" in the logs. Null for the one app of the command line.
    /// </summary>
    public string? AppName { get; init; }

    /// <summary>The app's name in metrics, the status and the admin API: <see cref="AppName"/>, or "main" (the
    /// configuration's name for it) for the command line's one app.</summary>
    public string Label => AppName ?? "main";

    public required string Python { get; init; }

    public int Workers { get; init; } = System.Environment.ProcessorCount;

    /// <summary>The app directory (<c>--chdir</c>); workers run there and import from there.</summary>
    public string WorkingDirectory { get; init; } = System.Environment.CurrentDirectory;

    /// <summary><c>--pythonpath</c> entries, put first on the worker's sys.path.</summary>
    public IReadOnlyList<string> PythonPath { get; init; } = [];

    /// <summary><c>-e KEY=VALUE</c> pairs for the workers' environment.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables { get; init; } = new Dictionary<string, string>();

    /// <summary>A request running longer gets 504 and its worker is replaced; zero turns it off.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool Debug { get; init; }

    /// <summary>Seconds a retiring or stopping worker may finish its requests before it is killed.</summary>
    public TimeSpan GracefulTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>--max-requests: a worker is replaced after this many requests; 0 = never.</summary>
    public long MaxRequests { get; init; }

    /// <summary>--max-requests-jitter: up to this many more, per worker, so they do not all recycle at once.</summary>
    public long MaxRequestsJitter { get; init; }

    /// <summary>--max-worker-memory: a worker whose RSS passes this many MiB is replaced after its request.</summary>
    public long MaxWorkerMemoryMib { get; init; }

    /// <summary>--workers-max: the most workers dynamic scaling may run; equal to Workers when not scaling.</summary>
    public int WorkersMax { get; init; }

    /// <summary>--idle-timeout: in dynamic mode, a worker idle this long is retired (down to Workers).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>--threads: requests one worker runs at once, each on its own channel and thread.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>--preload: import the app once in a fork server and fork the workers from it.</summary>
    public bool Preload { get; init; }

    /// <summary>--user / --group: the front has dropped to these before it starts workers; the workers set their
    /// environment (HOME, USER) from them, and drop themselves when the front could not.</summary>
    public string? User { get; init; }

    public string? Group { get; init; }

    /// <summary>
    /// Requests a busy worker may hold waiting behind the one it runs, given only when every worker is busy and
    /// the running request started under a millisecond ago (docs/protocol.md "Pipelining"); 0 turns it off.
    /// </summary>
    public int PipelineDepth { get; init; } = 4;

    /// <summary>--max-queued-requests: requests that may wait for a free worker before the rest get 503.</summary>
    public int MaxQueuedRequests { get; init; } = 2048;

    /// <summary>--max-boot-failures: a worker slot whose boot fails this many times in a row is given up.</summary>
    public int MaxBootFailures { get; init; } = 5;

    /// <summary>--name: the process name (comm) of the workers, as of the front.</summary>
    public string? ProcessName { get; init; }

    /// <summary>--interface: "auto" (the worker tells WSGI from ASGI by the app's shape), "wsgi" or "asgi".</summary>
    public string Interface { get; init; } = "auto";

    /// <summary>--lifespan for ASGI apps: "auto" (used if the app speaks it), "on" (must), "off".</summary>
    public string Lifespan { get; init; } = "auto";

    /// <summary>--loop for ASGI apps: "auto" (uvloop if importable), "asyncio" or "uvloop".</summary>
    public string Loop { get; init; } = "auto";

    /// <summary>--worker-connections: requests one ASGI worker runs at once; beyond it they wait in the pool's queue.
    /// Accepted WebSockets do not count: an idle socket costs no worker capacity.</summary>
    public int WorkerConnections { get; init; } = 1000;
}
