using System.Globalization;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.CommandLine;

/// <summary>
/// Every setting of <c>pyhost serve</c>, one line each: flags, gunicorn name, description, and where it lands in the
/// model. Adding a flag is adding a line here; the argument parser, <c>GUNICORN_CMD_ARGS</c>, gunicorn .py files,
/// <c>--help</c>, the docs and <c>--print-config</c> all read this table. Converters for gunicorn's forms of values
/// are in ServeSettings.Values.cs.
/// </summary>
public static partial class ServeSettings
{
    public static IReadOnlyList<ServeSetting> All { get; } =
    [
        new("app", [], SettingArity.Value, "The WSGI or ASGI app: MODULE:ATTR, MODULE or MODULE:FACTORY(ARGS).", "wsgi_app", Custom("app.NAME.module", (e, v, o) => e.SetAppSpec(v, o))),
        new("config", ["-c", "--config"], SettingArity.Value, "A config file: pyhost.toml, a pyproject.toml with [tool.pyhost], or a gunicorn .py file.", "config", null),
        new("check_config", ["--check-config"], SettingArity.Switch, "Check the configuration and exit.", "check_config", null),
        new("print_config", ["--print-config"], SettingArity.Switch, "Print the effective configuration, with where each value came from, and exit.", "print_config", null),

        // Listening, and the limits of every listener.
        new("bind", ["-b", "--bind"], SettingArity.Repeatable, "Address to listen on: HOST:PORT, [IPV6]:PORT, unix:PATH, uwsgi://HOST:PORT, .... Repeatable. Default: 127.0.0.1:8000.", "bind", Custom("listen[*].address (a listener each; replaces the file's)", (e, v, o) => e.Bind(v, o))),
        new("backlog", ["--backlog"], SettingArity.Value, "Connections the kernel queues until PyHost accepts them (listen(2) backlog), as in gunicorn.", "backlog", Listeners("backlog")),
        new("keepalive", ["--keep-alive"], SettingArity.Value, "Seconds an idle keep-alive connection waits for its next request (0 = close after each response).", "keepalive", Listeners("limits.keepalive_timeout")),
        new("limit_request_line", ["--limit-request-line"], SettingArity.Value, "Longest request line in bytes (method, target, version); 414 beyond (0 = no limit).", "limit_request_line", Listeners("limits.max_request_line")),
        new("limit_request_fields", ["--limit-request-fields"], SettingArity.Value, "Most header fields in a request; 431 beyond (0 = 32768, gunicorn's most).", "limit_request_fields", Listeners("limits.max_header_count")),
        new("limit_request_field_size", ["--limit-request-field_size", "--limit-request-field-size"], SettingArity.Value, "Longest header field line in bytes; 431 beyond (0 = no limit of its own).", "limit_request_field_size", Listeners("limits.max_header_size")),
        new("header_timeout", ["--header-timeout"], SettingArity.Value, "Seconds a request head may take to arrive (slowloris); 408 beyond (0 = no limit).", null, Listeners("limits.header_timeout")),
        new("min_request_body_rate", ["--min-request-body-rate"], SettingArity.Value, "Bytes per second a request body must keep up after 5 s; 408 below (0 = no minimum).", null, Listeners("limits.min_request_body_rate")),
        new("max_connections", ["--max-connections"], SettingArity.Value, "Most open client connections; one more gets 503 and is closed (0 = no limit).", null, Listeners("limits.max_connections")),
        new("max_connections_per_client", ["--max-connections-per-client"], SettingArity.Value, "Most open connections from one client address (trusted proxies exempt); 503 beyond (0 = no limit).", null, Listeners("limits.max_connections_per_client")),
        new("certfile", ["--certfile"], SettingArity.Value, "PEM certificate chain: every listener serves TLS.", "certfile", Custom("listen[*].certificate (and tls = \"files\")", (e, v, o) => { e.SetListeners("tls", TomlValues.Text("files", o), o); e.SetListeners("certificate", v, o); })),
        new("keyfile", ["--keyfile"], SettingArity.Value, "PEM private key of --certfile.", "keyfile", Listeners("key")),
        new("ca_certs", ["--ca-certs"], SettingArity.Value, "PEM CA certificates client certificates must chain to.", "ca_certs", Listeners("client_ca")),
        new("cert_reqs", ["--cert-reqs"], SettingArity.Value, "Client certificates: 0 none, 1 optional, 2 required.", "cert_reqs", Listeners("client_certificates", CertificateRequirement)),
        new("proxy_protocol", ["--proxy-protocol"], SettingArity.OptionalValue, "Every connection starts with a PROXY protocol header (HAProxy send-proxy, AWS NLB), believed from --forwarded-allow-ips peers. Alone: v1 or v2; or name one: v1, v2, auto, off.", "proxy_protocol", Listeners("proxy_protocol"), ["off", "v1", "v2", "auto", "any"], "auto"),
        new("http_protocols", ["--http-protocols"], SettingArity.Value, "HTTP versions offered, comma-separated: h1,h2.", "http_protocols", Listeners("protocols", CommaList)),
        new("forwarded_allow_ips", ["--forwarded-allow-ips"], SettingArity.Value, "Proxies whose X-Forwarded-*/Forwarded and PROXY headers are believed: comma-separated addresses, CIDR ranges, 'unix' for Unix-socket peers, '*' for all. Default: $FORWARDED_ALLOW_IPS, else 127.0.0.1,::1.", "forwarded_allow_ips", Server("forwarded_allow_ips")),
        new("forwarded_headers", ["--forwarded-headers"], SettingArity.Value, "Which headers a trusted proxy's word is read from: x-forwarded (X-Forwarded-For/-Proto/-Host/-Port), forwarded (RFC 7239) or none. Default: x-forwarded.", null, Server("forwarded_headers")),

        // The app and its workers.
        new("workers", ["-w", "--workers"], SettingArity.Value, "Number of worker processes. Default: $WEB_CONCURRENCY, else the CPU cores.", "workers", App("workers")),
        new("worker_class", ["-k", "--worker-class"], SettingArity.Value, "gunicorn's worker class: sync, gthread (with --threads), or uvicorn.workers.UvicornWorker (an ASGI app).", "worker_class", Custom("app.NAME.interface = \"asgi\" for uvicorn's classes (sync and gthread are checked)", WorkerClass)),
        new("threads", ["--threads"], SettingArity.Value, "Requests each worker runs at once, one thread each (wsgi.multithread), for I/O-bound apps.", "threads", App("threads")),
        new("timeout", ["-t", "--timeout"], SettingArity.Value, "Seconds a request may run before it gets 504 and its worker is replaced (0 = never).", "timeout", App("timeout")),
        new("graceful_timeout", ["--graceful-timeout"], SettingArity.Value, "Seconds in-flight requests may run on after SIGTERM/SIGINT or a reload.", "graceful_timeout", Server("graceful_timeout")),
        new("max_requests", ["--max-requests"], SettingArity.Value, "Replace a worker after this many requests (0 = never); its successor is ready first.", "max_requests", App("max_requests")),
        new("max_requests_jitter", ["--max-requests-jitter"], SettingArity.Value, "Add up to this many to --max-requests, per worker, so they do not all recycle at once.", "max_requests_jitter", App("max_requests_jitter")),
        new("max_worker_memory", ["--max-worker-memory"], SettingArity.Value, "Replace a worker whose resident memory passes this many MiB, after its request (0 = never).", null, App("max_worker_memory", Mebibytes)),
        new("workers_max", ["--workers-max"], SettingArity.Value, "Scale between --workers and this many: up when requests wait, down after --idle-timeout.", null, App("workers_max")),
        new("idle_timeout", ["--idle-timeout"], SettingArity.Value, "With --workers-max: seconds a worker may stay idle before it is retired.", null, App("idle_timeout")),
        new("max_boot_failures", ["--max-boot-failures"], SettingArity.Value, "Give up a worker slot whose boot fails this many times in a row; with no worker left, exit 3. Default: 5.", null, App("max_boot_failures")),
        new("pipeline_depth", ["--pipeline-depth"], SettingArity.Value, "Requests without a body a busy worker may hold behind one that started under --pipeline-age ago, when every worker is busy (0 = no pipelining). Default: 4.", null, App("pipeline_depth")),
        new("pipeline_age", ["--pipeline-age"], SettingArity.Value, "Milliseconds a running request may have run for another to be pipelined behind it. Default: 1.", null, App("pipeline_age", Milliseconds)),
        new("preload_app", ["--preload"], SettingArity.Switch, "Import the app once in a fork server and fork the workers from it (shared memory, fast spawns).", "preload_app", App("preload")),
        new("chdir", ["--chdir"], SettingArity.Value, "Change to this directory before loading the app.", "chdir", App("chdir")),
        new("pythonpath", ["--pythonpath"], SettingArity.Value, "Comma-separated directories to put first on the Python path.", "pythonpath", App("pythonpath")),
        new("python", ["--python"], SettingArity.Value, "The Python interpreter. Default: $VIRTUAL_ENV, else ./.venv, else python3 on PATH.", null, App("python")),
        new("raw_env", ["-e", "--env"], SettingArity.Repeatable, "KEY=VALUE for the workers' environment. Repeatable.", "raw_env", Custom("app.NAME.env (merged per variable)", (e, v, o) => e.AddEnvironment(v, o))),
        new("user", ["-u", "--user"], SettingArity.Value, "Run the workers as this user.", "user", App("user")),
        new("group", ["-g", "--group"], SettingArity.Value, "Run the workers as this group.", "group", App("group")),
        new("reload", ["--reload"], SettingArity.Switch, "Development: reload the workers when a .py file under the app directory changes.", "reload", App("reload")),
        new("reload_extra_files", ["--reload-extra-file"], SettingArity.Repeatable, "With --reload: also watch this file (templates, settings). Repeatable.", "reload_extra_files", App("reload_extra_files")),
        new("paste", ["--paste", "--paster"], SettingArity.Value, "Load the app from a PasteDeploy ini file, as gunicorn --paste and pserve do: FILE or FILE#SECTION.", "paste", App("paste")),
        new("debug", ["--debug"], SettingArity.Switch, "Show tracebacks in 500 pages. Never in production.", null, App("debug")),

        // ASGI apps (uvicorn's names where uvicorn has the flag).
        new("interface", ["--interface"], SettingArity.Value, "auto, wsgi or asgi (uvicorn's asgi3 and asgi2 are asgi). Default: auto, told by the app's shape.", null, App("interface", AsgiAliases)),
        new("lifespan", ["--lifespan", "--asgi-lifespan"], SettingArity.Value, "ASGI lifespan events: auto, on or off.", "asgi_lifespan", App("lifespan")),
        new("loop", ["--loop", "--asgi-loop"], SettingArity.Value, "The ASGI workers' event loop: auto, asyncio or uvloop.", "asgi_loop", App("loop")),
        new("worker_connections", ["--worker-connections"], SettingArity.Value, "Requests one ASGI worker runs at once.", "worker_connections", App("worker_connections")),
        new("websocket_max_size", ["--ws-max-size"], SettingArity.Value, "The largest WebSocket message a client may send, in bytes or with k, m or g; larger closes with 1009.", null, App("websocket_max_size")),
        new("websocket_ping_interval", ["--ws-ping-interval"], SettingArity.Value, "Seconds between pings on an open WebSocket (0: none).", null, App("websocket_ping_interval")),
        new("websocket_ping_timeout", ["--ws-ping-timeout"], SettingArity.Value, "Seconds a WebSocket may take to answer a ping before it is closed (0: no limit).", null, App("websocket_ping_timeout")),
        new("websocket_per_message_deflate", ["--ws-per-message-deflate"], SettingArity.Value, "Compress WebSocket messages when the client offers it: true or false.", null, App("websocket_per_message_deflate")),

        // The server process and its logs.
        new("umask", ["-m", "--umask"], SettingArity.Value, "Mode mask for the Unix sockets PyHost creates, as in gunicorn (007 or 0o007 octal); they are 0660 without it.", "umask", Server("umask", Umask)),
        new("mongrel2", ["--mongrel2"], SettingArity.Repeatable, "Serve as a Mongrel2 handler: SEND_SPEC,RECV_SPEC, the ZeroMQ endpoints of Mongrel2's Handler() (tcp://HOST:PORT or ipc://PATH), e.g. tcp://127.0.0.1:9997,tcp://127.0.0.1:9996. Repeatable.", null, Server("mongrel2")),
        new("pidfile", ["-p", "--pid"], SettingArity.Value, "Write the server's process id to this file.", "pidfile", Server("pid_file")),
        new("proc_name", ["-n", "--name"], SettingArity.Value, "Process name of the server and its workers, as ps and top show it (gunicorn's proc_name).", "proc_name", Server("name")),
        new("max_queued_requests", ["--max-queued-requests"], SettingArity.Value, "Requests that may wait for a free worker; beyond that they get 503 at once. Default: 2048.", null, Server("max_queued_requests")),
        new("accesslog", ["--access-logfile"], SettingArity.Value, "Where to write the access log; '-' is stdout. Default: none.", "accesslog", Log("access_log")),
        new("errorlog", ["--error-logfile", "--log-file"], SettingArity.Value, "Where to write the error log; '-' is stderr (the default).", "errorlog", Log("error_log")),
        new("loglevel", ["--log-level"], SettingArity.Value, "debug, info, warning, error or critical: PyHost's own messages. Default: info.", "loglevel", Log("level")),
        new("access_log_format", ["--access-logformat"], SettingArity.Value, "combined, combined_site, vhost_combined, json, or a gunicorn format of %(h)s-style atoms.", "access_log_format", Log("access_format")),
        new("error_log_format", ["--error-log-format"], SettingArity.Value, "text (gunicorn's lines) or json (one object per line).", null, Log("error_format")),
        new("admin", ["--admin"], SettingArity.Value, "Also serve the admin API on HOST:PORT (needs --admin-token-file); unix:PATH moves its unix socket.", null, Custom("admin.listen, or admin.socket for unix:PATH", AdminAddress)),
        new("admin_token_file", ["--admin-token-file"], SettingArity.Value, "The file holding the bearer token for the --admin TCP address.", null, Admin("token_file")),
        new("otlp_endpoint", ["--otlp-endpoint"], SettingArity.Value, "Push metrics and a span per request over OTLP to this collector.", null, Admin("otlp_endpoint")),
        new("otlp_protocol", ["--otlp-protocol"], SettingArity.Value, "http/protobuf or grpc.", null, Admin("otlp_protocol")),
        new("capture_output", ["--capture-output"], SettingArity.Switch, "Accepted for gunicorn: the app's stdout and stderr always go to the error log.", "capture_output", Custom("— (always so)", (_, _, _) => { })),

        // How requests reach the app, on every site and app route.
        new("max_request_body", ["--max-request-body"], SettingArity.Value, "The largest request body accepted, in bytes or with k, m or g (nginx's client_max_body_size); larger ones get 413 (0 = no limit). Default: 100m.", null, Sites("limits.max_body_size")),
        new("no_request_buffering", ["--no-request-buffering"], SettingArity.Switch, "Stream request bodies to the app as it reads them instead of reading them whole first (nginx's proxy_request_buffering off). A slow upload then holds a worker.", null, AppRoutes("request_buffering")),
        new("no_response_buffering", ["--no-response-buffering"], SettingArity.Switch, "Make workers wait for slow clients instead of the front buffering their responses (nginx's proxy_buffering off). An app can also say 'X-Accel-Buffering: no' per response.", null, AppRoutes("response_buffering")),
        new("compress", ["--compress"], SettingArity.Switch, "Compress responses (the app's and static files) with zstd, br or gzip, as the client's Accept-Encoding allows.", null, Sites("compression")),
        new("compress_codings", ["--compress-codings"], SettingArity.Value, "Compress with these codings, in order of preference (implies --compress). Default: zstd,br,gzip.", null, Sites("compression.codings")),
        new("compress_level", ["--compress-level"], SettingArity.Repeatable, "CODING=LEVEL, e.g. gzip=6 (1-9, default 5), br=5 (0-11, default 4), zstd=3 (1-19, default 3); implies --compress. Repeatable.", null, Custom("site[*].compression.levels (per coding)", CompressLevels)),
        new("compress_min_length", ["--compress-min-length"], SettingArity.Value, "Bodies with a Content-Length below this many bytes are sent as they are (implies --compress). Default: 512.", null, Sites("compression.min_length")),
        new("error_page", ["--error-page"], SettingArity.Repeatable, "STATUS=FILE: the site's own page for 404 (missing static files) or for 500, 502, 503, 504 or 50x (the front's answers when the app fails). Repeatable.", null, Custom("site[*].error_pages (per status)", ErrorPages)),

        // Static files.
        new("static", ["--static"], SettingArity.Repeatable, "Serve the files of DIR at URL_PREFIX from the front, without a worker: URL_PREFIX=DIR. Repeatable.", null, Custom("site[default].route[+] with path and static", (e, v, o) => e.AddStatic(v, o))),
        new("cgi", ["--cgi"], SettingArity.Repeatable, "Run the CGI scripts of DIR for the paths under URL_PREFIX: URL_PREFIX=DIR, URL_PREFIX=DIR,EXT[,EXT] for only the files ending in .cgi, .py, ..., or URL_PREFIX=SCRIPT for one script. One process per request, as the app's user, stopped after its timeout. Repeatable.", null, Custom("site.route.cgi (on the default site)", (e, v, o) => e.AddCgi(v, o))),
        new("static_index", ["--static-index"], SettingArity.Value, "Serve this file (e.g. index.html) for a directory path of a static route; /dir is redirected to /dir/ first.", null, StaticRoutes("index")),
        new("static_fallback", ["--static-fallback"], SettingArity.Value, "Serve this file of a static route's directory (e.g. index.html) with 200 for paths that name no file: a single-page app.", null, StaticRoutes("fallback")),
        new("static_cache_control", ["--static-cache-control"], SettingArity.Repeatable, "PATTERN=VALUE: Cache-Control for static files matching a glob ('*.html=no-cache'), or 'hashed' for names with a content hash ('hashed=public, max-age=31536000, immutable'). Repeatable; the first match wins.", null, Custom("site[*].route[*].cache_control (static routes)", StaticCacheControl)),
        new("static_precompressed", ["--static-precompressed"], SettingArity.Switch, "Send FILE.br, FILE.zst or FILE.gz next to FILE when the client accepts that coding (nginx gzip_static).", null, StaticRoutes("precompressed")),
        new("static_sendfile", ["--static-sendfile"], SettingArity.Value, "Send large static files with sendfile(2) on plaintext HTTP/1.1 connections: true (the default) or false.", null, StaticRoutes("sendfile")),
        new("static_max_ranges", ["--static-max-ranges"], SettingArity.Value, "Requests for more byte ranges than this get the whole file. Default: 16.", null, StaticRoutes("max_ranges")),
    ];

    public static ServeSetting? ByFlag(string flag) => All.FirstOrDefault(setting => setting.Flags.Contains(flag, StringComparer.Ordinal));

    public static ServeSetting? ByGunicornName(string name) => All.FirstOrDefault(setting => setting.GunicornName == name);

    public static ServeSetting ByName(string name) => All.First(setting => setting.Name == name);

    private static SettingEffect Custom(string sets, ApplySetting apply) => new(sets, apply);

    private static SettingEffect App(string key, Func<TomlNode, SettingOrigin, TomlNode?>? convert = null) =>
        new($"app.NAME.{key}", (editor, value, origin) => Converted(value, origin, convert, node => editor.SetApp(key, node, origin)));

    private static SettingEffect Server(string key, Func<TomlNode, SettingOrigin, TomlNode?>? convert = null) =>
        new($"server.{key}", (editor, value, origin) => Converted(value, origin, convert, node => editor.SetServer(key, node, origin)));

    private static SettingEffect Admin(string key) => new($"admin.{key}", (editor, value, origin) => editor.SetAdmin(key, value, origin));

    /// <summary>--admin HOST:PORT is the TCP address; --admin unix:PATH is the unix socket's place.</summary>
    private static void AdminAddress(ConfigEditor editor, TomlNode value, SettingOrigin origin)
    {
        string text = Text(value).Trim();
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            editor.SetAdmin("socket", TomlValues.Text(text["unix:".Length..], origin), origin);
            return;
        }
        editor.SetAdmin("listen", value, origin);
    }

    private static SettingEffect Log(string key) => new($"log.{key}", (editor, value, origin) => editor.SetLog(key, value, origin));

    private static SettingEffect Listeners(string key, Func<TomlNode, SettingOrigin, TomlNode?>? convert = null) =>
        new($"listen[*].{key}", (editor, value, origin) => Converted(value, origin, convert, node => editor.SetListeners(key, node, origin)));

    private static SettingEffect Sites(string key) => new($"site[*].{key}", (editor, value, origin) => editor.SetSites(key, value, origin));

    /// <summary>A switch that turns a key of every app route off: --no-request-buffering.</summary>
    private static SettingEffect AppRoutes(string key) =>
        new($"site[*].route[*].{key} = false (app routes)", (editor, _, origin) => editor.SetRoutes("app", key, TomlValues.Boolean(false, origin), origin));

    private static SettingEffect StaticRoutes(string key) =>
        new($"site[*].route[*].{key} (static routes)", (editor, value, origin) => editor.SetRoutes("static", key, value, origin));

    private static void Converted(TomlNode value, SettingOrigin origin, Func<TomlNode, SettingOrigin, TomlNode?>? convert, Action<TomlNode> apply)
    {
        TomlNode? node = convert is null ? value : convert(value, origin);
        if (node is not null)
        {
            apply(node);
        }
    }
}
