using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>
/// One <c>[app.NAME]</c>: a Python WSGI app with its own interpreter, directory, environment and worker pool. The
/// command line describes one app, named <see cref="DefaultName"/>.
/// </summary>
public sealed record AppConfig
{
    public const string DefaultName = "main";

    public string Name { get; init; } = DefaultName;

    /// <summary>MODULE:ATTR, MODULE or MODULE:FACTORY(ARGS); null with no paste either = found in chdir (manage.py, wsgi.py, ...).</summary>
    public string? Module { get; init; }

    public PasteSpec? Paste { get; init; }

    /// <summary>The interpreter; null = $VIRTUAL_ENV, else ./.venv, else python3 on PATH.</summary>
    public string? Python { get; init; }

    /// <summary>The app directory; null = the current directory.</summary>
    public string? Chdir { get; init; }

    public IReadOnlyList<string> PythonPath { get; init; } = [];

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Worker processes; null = $WEB_CONCURRENCY, else the CPU cores (filled in by the loader).</summary>
    public int? Workers { get; init; }

    /// <summary>With a value, scale between Workers and this many; null = a fixed pool.</summary>
    public int? WorkersMax { get; init; }

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int Threads { get; init; } = 1;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>null = [server] graceful_timeout.</summary>
    public TimeSpan? GracefulTimeout { get; init; }

    public int MaxRequests { get; init; }

    public int MaxRequestsJitter { get; init; }

    /// <summary>null = no limit (0 in the file or flag).</summary>
    public ByteSize? MaxWorkerMemory { get; init; }

    /// <summary>null = [server] max_queued_requests.</summary>
    public int? MaxQueuedRequests { get; init; }

    public bool Preload { get; init; }

    public string? User { get; init; }

    public string? Group { get; init; }

    public bool Reload { get; init; }

    public IReadOnlyList<string> ReloadExtraFiles { get; init; } = [];

    public bool Debug { get; init; }

    /// <summary>"auto" (an ASGI app is told by its shape at import), "wsgi" or "asgi".</summary>
    public string Interface { get; init; } = "auto";

    /// <summary>ASGI lifespan events: "auto", "on" or "off" (uvicorn's --lifespan).</summary>
    public string Lifespan { get; init; } = "auto";

    /// <summary>The ASGI workers' event loop: "auto" (uvloop when importable), "asyncio" or "uvloop".</summary>
    public string Loop { get; init; } = "auto";

    /// <summary>Requests one ASGI worker runs at once; open WebSockets do not count.</summary>
    public int WorkerConnections { get; init; } = 1000;

    /// <summary>The largest WebSocket message a client may send an ASGI app (1009 beyond it).</summary>
    public ByteSize WebSocketMaxSize { get; init; } = new(16L * 1024 * 1024);

    /// <summary>A ping this often on an open WebSocket (RFC 6455 §5.5.2); zero: none.</summary>
    public TimeSpan WebSocketPingInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A WebSocket whose pong does not come within this is closed; zero: not checked.</summary>
    public TimeSpan WebSocketPingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>permessage-deflate (RFC 7692) when the client offers it.</summary>
    public bool WebSocketPerMessageDeflate { get; init; } = true;

    /// <summary>
    /// Requests without a body a busy worker may hold queued behind one that started less than
    /// <see cref="PipelineAge"/> ago, when every worker is busy; 0 = no pipelining.
    /// </summary>
    public int PipelineDepth { get; init; } = 4;

    /// <summary>How recently a worker's running request must have started for another to be pipelined behind it.</summary>
    public TimeSpan PipelineAge { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>A worker slot whose boot fails this many times in a row is given up; with no worker left serving, exit 3.</summary>
    public int MaxBootFailures { get; init; } = 5;

    /// <summary>What the workers load: the module spec, PasteDeploy's <c>config:FILE#SECTION</c>, or null to find it in chdir.</summary>
    public string? WorkerSpec => Module ?? Paste?.WorkerSpec;

    private static readonly TextType ModuleType = new("MODULE:ATTR, MODULE or MODULE:FACTORY(ARGS)", text =>
        System.Text.RegularExpressions.Regex.IsMatch(text, @"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:.+)?$")
            ? null
            : ($"\"{text}\" is not an app spec", "write MODULE:ATTR, e.g. \"mysite.wsgi:application\" or \"app:create_app()\""),
        pattern: @"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:.+)?$");

    public static ConfigTable<AppConfig> Table { get; } = CreateTable();

    private static ConfigTable<AppConfig> CreateTable()
    {
        var table = new ConfigTable<AppConfig>("[app.NAME]", "A Python WSGI app and its worker pool; routes name it by NAME.", () => new AppConfig())
        {
            { "module", Types.Optional(ModuleType), "The WSGI app: MODULE:ATTR, MODULE (attribute 'application') or MODULE:FACTORY(ARGS). Without module or paste it is found in chdir (manage.py, wsgi.py, app.py).", a => a.Module, (a, v) => a with { Module = v }, "found in chdir" },
            { "paste", Types.Optional(new PasteSpecType()), "A PasteDeploy app instead of module: \"FILE.ini\" or \"FILE.ini#SECTION\" (default section main), relative to this file.", a => a.Paste, (a, v) => a with { Paste = v } },
            { "python", Types.Optional(Types.Interpreter), "The interpreter or virtualenv's python. Default: $VIRTUAL_ENV, else ./.venv, else python3 on PATH.", a => a.Python, (a, v) => a with { Python = v }, "$VIRTUAL_ENV, else ./.venv, else python3" },
            { "chdir", Types.Optional(Types.Directory), "The app directory: workers run and import there. Relative to this file.", a => a.Chdir, (a, v) => a with { Chdir = v }, "the current directory" },
            { "pythonpath", Types.List(Types.Directory, splitCommasWhenLenient: true), "Directories put first on sys.path.", a => a.PythonPath, (a, v) => a with { PythonPath = v } },
            { "env", new StringMapType("variable names"), "Environment variables for the workers: { DJANGO_SETTINGS_MODULE = \"mysite.settings\" }.", a => a.Env, (a, v) => a with { Env = v } },
            { "workers", Types.OptionalValue(Types.Count(1, 4096)), "Worker processes. Default: $WEB_CONCURRENCY, else the number of CPU cores.", a => a.Workers, (a, v) => a with { Workers = v }, "$WEB_CONCURRENCY, else the CPU cores" },
            { "workers_max", Types.OptionalValue(Types.Count(1, 4096)), "Scale between workers and this many: up when requests wait, down after idle_timeout.", a => a.WorkersMax, (a, v) => a with { WorkersMax = v }, "a fixed pool" },
            { "idle_timeout", Types.Duration, "With workers_max: how long a worker may stay idle before it is retired.", a => a.IdleTimeout, (a, v) => a with { IdleTimeout = v } },
            { "threads", Types.Count(1, 1024), "Requests each worker runs at once, one thread each (wsgi.multithread).", a => a.Threads, (a, v) => a with { Threads = v } },
            { "timeout", Types.Duration, "A request running longer gets 504 and its worker is replaced (its stack is logged); 0 = never.", a => a.Timeout, (a, v) => a with { Timeout = v } },
            { "graceful_timeout", Types.OptionalValue(Types.Duration), "How long a retiring worker may finish its requests. Default: [server] graceful_timeout.", a => a.GracefulTimeout, (a, v) => a with { GracefulTimeout = v }, "[server] graceful_timeout" },
            { "max_requests", Types.Count(0), "Replace a worker after this many requests (its successor is ready first); 0 = never.", a => a.MaxRequests, (a, v) => a with { MaxRequests = v } },
            { "max_requests_jitter", Types.Count(0), "Up to this many more requests per worker, so they do not all recycle at once.", a => a.MaxRequestsJitter, (a, v) => a with { MaxRequestsJitter = v } },
            { "max_worker_memory", Types.SizeOrNoLimit, "Replace a worker whose resident memory passes this, after its request; 0 = no limit.", a => a.MaxWorkerMemory, (a, v) => a with { MaxWorkerMemory = v }, "no limit" },
            { "max_queued_requests", Types.OptionalValue(Types.Count(1)), "Requests that may wait for a free worker; beyond that 503. Default: [server] max_queued_requests.", a => a.MaxQueuedRequests, (a, v) => a with { MaxQueuedRequests = v }, "[server] max_queued_requests" },
            { "preload", Types.Boolean, "Import the app once in a fork server and fork workers from it (shared memory, fast spawns).", a => a.Preload, (a, v) => a with { Preload = v } },
            { "user", Types.Optional(Types.NonEmptyText), "Run the workers as this user (name or uid).", a => a.User, (a, v) => a with { User = v }, "the server's user" },
            { "group", Types.Optional(Types.NonEmptyText), "Run the workers as this group (name or gid).", a => a.Group, (a, v) => a with { Group = v }, "the server's group" },
            { "reload", Types.Boolean, "Development: reload the workers when a .py file under chdir changes.", a => a.Reload, (a, v) => a with { Reload = v } },
            { "reload_extra_files", Types.List(Types.Path), "With reload: also watch these files (templates, settings).", a => a.ReloadExtraFiles, (a, v) => a with { ReloadExtraFiles = v } },
            { "debug", Types.Boolean, "Show tracebacks in 500 pages. Never in production.", a => a.Debug, (a, v) => a with { Debug = v } },
            { "interface", Types.Choice(("auto", "auto"), ("wsgi", "wsgi"), ("asgi", "asgi")), "WSGI or ASGI: auto tells an ASGI app (a coroutine function of scope, receive, send) at import. gunicorn: -k uvicorn.workers.UvicornWorker is asgi.", a => a.Interface, (a, v) => a with { Interface = v } },
            { "lifespan", Types.Choice(("auto", "auto"), ("on", "on"), ("off", "off")), "ASGI lifespan events: auto (if the app speaks them), on (a failed startup stops the boot), off. uvicorn: --lifespan.", a => a.Lifespan, (a, v) => a with { Lifespan = v } },
            { "loop", Types.Choice(("auto", "auto"), ("asyncio", "asyncio"), ("uvloop", "uvloop")), "The ASGI workers' event loop: auto is uvloop when importable. uvicorn: --loop.", a => a.Loop, (a, v) => a with { Loop = v } },
            { "worker_connections", Types.Count(1, 1_000_000), "Requests one ASGI worker runs at once; more wait in the queue. Open WebSockets do not count. gunicorn: --worker-connections.", a => a.WorkerConnections, (a, v) => a with { WorkerConnections = v } },
            { "websocket_max_size", Types.Size, "The largest WebSocket message a client may send; a larger one closes the socket with 1009. uvicorn: --ws-max-size.", a => a.WebSocketMaxSize, (a, v) => a with { WebSocketMaxSize = v } },
            { "websocket_ping_interval", Types.Duration, "How often the front pings an open WebSocket; 0: never. uvicorn: --ws-ping-interval.", a => a.WebSocketPingInterval, (a, v) => a with { WebSocketPingInterval = v } },
            { "websocket_ping_timeout", Types.Duration, "A WebSocket that does not answer a ping within this is closed; 0: no limit. uvicorn: --ws-ping-timeout.", a => a.WebSocketPingTimeout, (a, v) => a with { WebSocketPingTimeout = v } },
            { "websocket_per_message_deflate", Types.Boolean, "Compress WebSocket messages (permessage-deflate) when the client offers it. uvicorn: --ws-per-message-deflate.", a => a.WebSocketPerMessageDeflate, (a, v) => a with { WebSocketPerMessageDeflate = v } },
            { "pipeline_depth", Types.Count(0, 64), "When every worker is busy, requests without a body a worker may hold queued behind one that started less than pipeline_age ago (a fast request is likely to end soon); 0 = no pipelining.", a => a.PipelineDepth, (a, v) => a with { PipelineDepth = v } },
            { "pipeline_age", Types.Duration, "How recently a worker's running request must have started for another to be pipelined behind it.", a => a.PipelineAge, (a, v) => a with { PipelineAge = v } },
            { "max_boot_failures", Types.Count(1), "Give up a worker slot whose boot fails this many times in a row (retried after 0.5, 1, 2, 4 s ...); with no worker left serving, PyHost exits 3.", a => a.MaxBootFailures, (a, v) => a with { MaxBootFailures = v } },
        };
        return table;
    }
}

/// <summary><c>FILE.ini#SECTION</c>: a PasteDeploy app, as <c>gunicorn --paste</c> and <c>pserve</c> load it.</summary>
public sealed record PasteSpec(string File, string Section)
{
    /// <summary>PasteDeploy's own URI form, which the workers load and no module spec can be mistaken for.</summary>
    public string WorkerSpec => $"config:{File}#{Section}";

    public override string ToString() => Section == "main" ? File : $"{File}#{Section}";
}

public sealed class PasteSpecType : Keys.ValueType<PasteSpec>
{
    public override string Expected => "\"FILE.ini\" or \"FILE.ini#SECTION\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out PasteSpec value)
    {
        value = null!;
        if (node is not TomlScalar { Value: string text })
        {
            context.Expected(node, path, Expected);
            return false;
        }
        int hash = text.IndexOf('#');
        string file = hash < 0 ? text : text[..hash];
        string section = hash < 0 ? "main" : text[(hash + 1)..];
        if (file.Length == 0 || section.Length == 0)
        {
            context.Error(node, path, $"\"{text}\" is not {Expected}", "e.g. \"development.ini\" or \"development.ini#main\"");
            return false;
        }
        value = new PasteSpec(PathType.Resolve(file, context.BaseDirectory), section);
        return true;
    }

    public override PrintedValue Print(PasteSpec value) => new InlineValue(TomlDocumentReader.Quote(value.ToString()));

    public override void WriteSchema(System.Text.Json.Nodes.JsonObject schema)
    {
        schema["type"] = "string";
        schema["pattern"] = "^[^#]+(#.+)?$";
    }
}
