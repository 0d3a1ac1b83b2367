using System.Globalization;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.CommandLine;

/// <summary>
/// Every setting of <c>pyhost serve</c>, one line each: flags, gunicorn name, description, and where it lands in the
/// model. Adding a flag is adding a line here; the argument parser, <c>GUNICORN_CMD_ARGS</c>, gunicorn .py files and
/// <c>--print-config</c> all read this table.
/// </summary>
public static class ServeSettings
{
    public static IReadOnlyList<ServeSetting> All { get; } =
    [
        new("app", [], SettingArity.Value, "The WSGI app: MODULE:ATTR, MODULE or MODULE:FACTORY(ARGS).", "wsgi_app", (e, v, o) => e.SetAppSpec(v, o)),
        new("config", ["-c", "--config"], SettingArity.Value, "A config file: pyhost.toml, a pyproject.toml with [tool.pyhost], or a gunicorn .py file.", "config", null),
        new("check_config", ["--check-config"], SettingArity.Switch, "Check the configuration and exit.", "check_config", null),
        new("print_config", ["--print-config"], SettingArity.Switch, "Print the effective configuration, with where each value came from, and exit.", "print_config", null),
        new("bind", ["-b", "--bind"], SettingArity.Repeatable, "Address to listen on: HOST:PORT, [IPV6]:PORT, unix:PATH, uwsgi://HOST:PORT, .... Repeatable.", "bind", (e, v, o) => e.Bind(v, o)),
        new("workers", ["-w", "--workers"], SettingArity.Value, "Number of worker processes. Default: $WEB_CONCURRENCY, else the CPU cores.", "workers", App("workers")),
        new("worker_class", ["-k", "--worker-class"], SettingArity.Value, "sync, or gthread (with --threads).", "worker_class", WorkerClass),
        new("threads", ["--threads"], SettingArity.Value, "Requests each worker runs at once, one thread each.", "threads", App("threads")),
        new("timeout", ["-t", "--timeout"], SettingArity.Value, "Seconds a request may run before it gets 504 and its worker is replaced (0 = never).", "timeout", App("timeout")),
        new("graceful_timeout", ["--graceful-timeout"], SettingArity.Value, "Seconds in-flight requests may run on after SIGTERM/SIGINT or a reload.", "graceful_timeout", (e, v, o) => e.SetServer("graceful_timeout", v, o)),
        new("keepalive", ["--keep-alive"], SettingArity.Value, "Seconds an idle keep-alive connection stays open.", "keepalive", Listeners("limits.keepalive_timeout")),
        new("max_requests", ["--max-requests"], SettingArity.Value, "Replace a worker after this many requests (0 = never).", "max_requests", App("max_requests")),
        new("max_requests_jitter", ["--max-requests-jitter"], SettingArity.Value, "Add up to this many to --max-requests, per worker.", "max_requests_jitter", App("max_requests_jitter")),
        new("max_worker_memory", ["--max-worker-memory"], SettingArity.Value, "Replace a worker whose resident memory passes this many MiB (0 = never).", null, App("max_worker_memory", Mebibytes)),
        new("workers_max", ["--workers-max"], SettingArity.Value, "Scale between --workers and this many.", null, App("workers_max")),
        new("idle_timeout", ["--idle-timeout"], SettingArity.Value, "With --workers-max: seconds a worker may stay idle before it is retired.", null, App("idle_timeout")),
        new("preload_app", ["--preload"], SettingArity.Switch, "Import the app once in a fork server and fork the workers from it.", "preload_app", App("preload")),
        new("chdir", ["--chdir"], SettingArity.Value, "Change to this directory before loading the app.", "chdir", App("chdir")),
        new("pythonpath", ["--pythonpath"], SettingArity.Value, "Comma-separated directories to put first on the Python path.", "pythonpath", App("pythonpath")),
        new("python", ["--python"], SettingArity.Value, "The Python interpreter. Default: $VIRTUAL_ENV, else ./.venv, else python3.", null, App("python")),
        new("raw_env", ["-e", "--env"], SettingArity.Repeatable, "KEY=VALUE for the workers' environment. Repeatable.", "raw_env", (e, v, o) => e.AddEnvironment(v, o)),
        new("user", ["-u", "--user"], SettingArity.Value, "Run the workers as this user.", "user", App("user")),
        new("group", ["-g", "--group"], SettingArity.Value, "Run the workers as this group.", "group", App("group")),
        new("umask", ["-m", "--umask"], SettingArity.Value, "umask for files and sockets PyHost creates (0o007, 007 or 7).", "umask", Server("umask", Umask)),
        new("pidfile", ["-p", "--pid"], SettingArity.Value, "Write the server's process id to this file.", "pidfile", Server("pid_file")),
        new("proc_name", ["-n", "--name"], SettingArity.Value, "Process name in ps and the logs.", "proc_name", Server("name")),
        new("max_queued_requests", ["--max-queued-requests"], SettingArity.Value, "Requests that may wait for a free worker; beyond that 503.", null, Server("max_queued_requests")),
        new("forwarded_allow_ips", ["--forwarded-allow-ips"], SettingArity.Value, "Comma-separated addresses or CIDR ranges whose X-Forwarded-* headers are believed ('*' for all).", "forwarded_allow_ips", Server("forwarded_allow_ips")),
        new("accesslog", ["--access-logfile"], SettingArity.Value, "Where to write the access log; '-' is stdout.", "accesslog", Log("access_log")),
        new("errorlog", ["--error-logfile", "--log-file"], SettingArity.Value, "Where to write the error log; '-' is stderr.", "errorlog", Log("error_log")),
        new("loglevel", ["--log-level"], SettingArity.Value, "debug, info, warning, error or critical.", "loglevel", Log("level")),
        new("access_log_format", ["--access-logformat"], SettingArity.Value, "combined, json, or a gunicorn format of %(h)s-style atoms.", "access_log_format", Log("access_format")),
        new("error_log_format", ["--error-log-format"], SettingArity.Value, "text (gunicorn's lines) or json (one object per line).", null, Log("error_format")),
        new("admin", ["--admin"], SettingArity.Value, "Also serve the admin API on HOST:PORT (needs --admin-token-file); unix:PATH moves its unix socket.", null, AdminAddress),
        new("admin_token_file", ["--admin-token-file"], SettingArity.Value, "The file holding the bearer token for the --admin TCP address.", null, Admin("token_file")),
        new("otlp_endpoint", ["--otlp-endpoint"], SettingArity.Value, "Push metrics and a span per request over OTLP to this collector.", null, Admin("otlp_endpoint")),
        new("otlp_protocol", ["--otlp-protocol"], SettingArity.Value, "http/protobuf or grpc.", null, Admin("otlp_protocol")),
        new("capture_output", ["--capture-output"], SettingArity.Switch, "Accepted for gunicorn: the app's output always reaches the error log.", "capture_output", (_, _, _) => { }),
        new("backlog", ["--backlog"], SettingArity.Value, "The kernel's listen backlog for each listener.", "backlog", Listeners("backlog")),
        new("limit_request_line", ["--limit-request-line"], SettingArity.Value, "Longest request line in bytes (0: PyHost's cap, 1MiB).", "limit_request_line", Listeners("limits.max_request_line", ZeroIsCap)),
        new("limit_request_fields", ["--limit-request-fields"], SettingArity.Value, "Most header fields in a request.", "limit_request_fields", Listeners("limits.max_header_count")),
        new("limit_request_field_size", ["--limit-request-field_size", "--limit-request-field-size"], SettingArity.Value, "Largest header field in bytes (0: PyHost's cap, 1MiB).", "limit_request_field_size", Listeners("limits.max_header_size", ZeroIsCap)),
        new("certfile", ["--certfile"], SettingArity.Value, "PEM certificate chain: every listener serves TLS.", "certfile", (e, v, o) => { e.SetListeners("tls", TomlValues.Text("files", o), o); e.SetListeners("certificate", v, o); }),
        new("keyfile", ["--keyfile"], SettingArity.Value, "PEM private key of --certfile.", "keyfile", Listeners("key")),
        new("ca_certs", ["--ca-certs"], SettingArity.Value, "PEM CA certificates client certificates must chain to.", "ca_certs", Listeners("client_ca")),
        new("cert_reqs", ["--cert-reqs"], SettingArity.Value, "Client certificates: 0 none, 1 optional, 2 required.", "cert_reqs", Listeners("client_certificates", CertificateRequirement)),
        new("proxy_protocol", ["--proxy-protocol"], SettingArity.OptionalValue, "Expect a PROXY protocol header: off, v1, v2 or auto (alone: auto).", "proxy_protocol", Listeners("proxy_protocol"), ["off", "v1", "v2", "auto", "any"], "auto"),
        new("http_protocols", ["--http-protocols"], SettingArity.Value, "HTTP versions offered, comma-separated: h1,h2.", "http_protocols", Listeners("protocols", CommaList)),
        new("reload", ["--reload"], SettingArity.Switch, "Reload the workers when a .py file under the app directory changes.", "reload", App("reload")),
        new("reload_extra_files", ["--reload-extra-file"], SettingArity.Repeatable, "With --reload: also watch this file. Repeatable.", "reload_extra_files", App("reload_extra_files")),
        new("paste", ["--paste", "--paster"], SettingArity.Value, "Load the app from a PasteDeploy ini file: FILE or FILE#SECTION.", "paste", App("paste")),
        new("static", ["--static"], SettingArity.Repeatable, "Serve the files of DIR at URL_PREFIX from the front: URL_PREFIX=DIR. Repeatable.", null, (e, v, o) => e.AddStatic(v, o)),
        new("debug", ["--debug"], SettingArity.Switch, "Show tracebacks in 500 pages. Never in production.", null, App("debug")),
    ];

    public static ServeSetting? ByFlag(string flag) => All.FirstOrDefault(setting => setting.Flags.Contains(flag, StringComparer.Ordinal));

    public static ServeSetting? ByGunicornName(string name) => All.FirstOrDefault(setting => setting.GunicornName == name);

    public static ServeSetting ByName(string name) => All.First(setting => setting.Name == name);

    private static ApplySetting App(string key, Func<TomlNode, SettingOrigin, TomlNode?>? convert = null) =>
        (editor, value, origin) => Converted(value, origin, convert, node => editor.SetApp(key, node, origin));

    private static ApplySetting Server(string key, Func<TomlNode, SettingOrigin, TomlNode?>? convert = null) =>
        (editor, value, origin) => Converted(value, origin, convert, node => editor.SetServer(key, node, origin));

    private static ApplySetting Log(string key) => (editor, value, origin) => editor.SetLog(key, value, origin);

    private static ApplySetting Admin(string key) => (editor, value, origin) => editor.SetAdmin(key, value, origin);

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

    private static ApplySetting Listeners(string key, Func<TomlNode, SettingOrigin, TomlNode?>? convert = null) =>
        (editor, value, origin) => Converted(value, origin, convert, node => editor.SetListeners(key, node, origin));

    private static void Converted(TomlNode value, SettingOrigin origin, Func<TomlNode, SettingOrigin, TomlNode?>? convert, Action<TomlNode> apply)
    {
        TomlNode? node = convert is null ? value : convert(value, origin);
        if (node is not null)
        {
            apply(node);
        }
    }

    private static string Text(TomlNode node) => node is TomlScalar scalar ? scalar.Value as string ?? scalar.Text : "";

    /// <summary>--max-worker-memory counts MiB; 0 means no limit.</summary>
    private static TomlNode? Mebibytes(TomlNode value, SettingOrigin origin) =>
        Text(value).Trim() is "0" ? null
        : long.TryParse(Text(value).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long mebibytes) ? TomlValues.Text($"{mebibytes}MiB", origin)
        : value;

    /// <summary>gunicorn reads umask as Python's int(x, 0); a leading 0 (007) is also taken as octal here, as people mean it.</summary>
    private static TomlNode? Umask(TomlNode value, SettingOrigin origin)
    {
        if (value is TomlScalar { Value: long })
        {
            return value;
        }
        string text = Text(value).Trim();
        try
        {
            long mode = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Convert.ToInt64(text[2..], 16)
                : text.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? Convert.ToInt64(text[2..], 8)
                : text.Length > 1 && text[0] == '0' ? Convert.ToInt64(text, 8)
                : long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
            return TomlValues.Integer(mode, origin);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return value;   // the file-mode type reports it
        }
    }

    /// <summary>gunicorn's 0 means "no limit"; PyHost keeps a cap.</summary>
    private static TomlNode? ZeroIsCap(TomlNode value, SettingOrigin origin) => Text(value).Trim() == "0" ? TomlValues.Text("1MiB", origin) : value;

    private static TomlNode? CertificateRequirement(TomlNode value, SettingOrigin origin) => Text(value).Trim().ToUpperInvariant() switch
    {
        "0" or "CERT_NONE" => TomlValues.Text("none", origin),
        "1" or "CERT_OPTIONAL" => TomlValues.Text("optional", origin),
        "2" or "CERT_REQUIRED" => TomlValues.Text("required", origin),
        _ => value,
    };

    private static TomlNode? CommaList(TomlNode value, SettingOrigin origin) => value is TomlScalar
        ? TomlValues.List(Text(value).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part => TomlValues.Text(part, origin)), origin)
        : value;

    private static void WorkerClass(ConfigEditor editor, TomlNode value, SettingOrigin origin)
    {
        string name = Text(value).Trim();
        switch (name)
        {
            case "sync" or "gthread" or "gunicorn.workers.sync.SyncWorker" or "gunicorn.workers.gthread.ThreadWorker":
                return;
            case var asgi when asgi.Contains("uvicorn", StringComparison.OrdinalIgnoreCase) || asgi.Contains("asgi", StringComparison.OrdinalIgnoreCase):
                editor.Diagnostics.Error(origin, "worker_class", $"'{name}' serves ASGI apps, which PyHost does not serve yet",
                    "use --interface asgi once ASGI lands; for now serve a WSGI app, or keep uvicorn for this one");
                return;
            default:
                editor.Diagnostics.Error(origin, "worker_class", $"worker class '{name}' is not supported",
                    "PyHost's workers are sync (one request each) or gthread (--threads N): use -k sync or -k gthread");
                return;
        }
    }
}
