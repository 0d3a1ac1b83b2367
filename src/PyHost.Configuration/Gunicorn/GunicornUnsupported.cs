namespace PyHost.Configuration.Gunicorn;

/// <summary>
/// gunicorn settings (up to gunicorn 26) that PyHost does not have, with why and what to do instead. A config file or
/// GUNICORN_CMD_ARGS that sets one gets a warning naming it, never silence. Settings PyHost has are in
/// <see cref="CommandLine.ServeSettings"/>; a test checks that Debian's gunicorn knows no setting missing from both.
/// </summary>
public static class GunicornUnsupported
{
    /// <param name="IsHook">A server hook: a Python function gunicorn calls at some moment, which PyHost does not run.</param>
    public sealed record Setting(string Name, IReadOnlyList<string> Flags, bool TakesValue, string Reason, bool IsHook = false)
    {
        /// <summary>The warning for a file or GUNICORN_CMD_ARGS that sets it.</summary>
        public string Warning => IsHook
            ? $"gunicorn setting '{Name}' is a server hook (a Python function gunicorn calls); PyHost does not run it; ignored"
            : $"gunicorn setting '{Name}' is not supported by PyHost: {Reason}; ignored";
    }

    private static Setting Hook(string name) => new(name, [], true, "a server hook: a Python function PyHost does not run", IsHook: true);

    public static IReadOnlyList<Setting> All { get; } =
    [
        new("reload_engine", ["--reload-engine"], true, "PyHost watches files with inotify; there is no engine to choose"),
        new("spew", ["--spew"], false, "traces every line the server runs; not supported"),
        new("sendfile", ["--no-sendfile"], false, "static files are served by PyHost's front, not by the app"),
        new("reuse_port", ["--reuse-port"], false, "PyHost opens each listener once; not supported"),
        new("daemon", ["-D", "--daemon"], false, "PyHost stays in the foreground: run it under systemd or another supervisor"),
        new("worker_tmp_dir", ["--worker-tmp-dir"], true, "PyHost's heartbeat is its worker channel, not a temporary file"),
        new("initgroups", ["--initgroups"], false, "not supported; workers get the --group given"),
        new("tmp_upload_dir", [], true, "PyHost buffers large request bodies in its runtime directory ([server] runtime_dir)"),
        new("secure_scheme_headers", [], true, "PyHost believes X-Forwarded-Proto and Forwarded from forwarded_allow_ips peers; there is no header map"),
        new("disable_redirect_access_to_syslog", ["--disable-redirect-access-to-syslog"], false, "PyHost does not log to syslog"),
        new("logger_class", ["--logger-class"], true, "PyHost's logs are its own; use log.access_format"),
        new("logconfig", ["--log-config"], true, "Python logging configuration applies to the app, not to PyHost; configure it in the app"),
        new("logconfig_dict", [], true, "Python logging configuration applies to the app, not to PyHost; configure it in the app"),
        new("logconfig_json", ["--log-config-json"], true, "Python logging configuration applies to the app, not to PyHost; configure it in the app"),
        new("syslog_addr", ["--log-syslog-to"], true, "PyHost does not log to syslog; under systemd its output goes to the journal"),
        new("syslog", ["--log-syslog"], false, "PyHost does not log to syslog; under systemd its output goes to the journal"),
        new("syslog_prefix", ["--log-syslog-prefix"], true, "PyHost does not log to syslog"),
        new("syslog_facility", ["--log-syslog-facility"], true, "PyHost does not log to syslog"),
        new("enable_stdio_inheritance", ["-R", "--enable-stdio-inheritance"], false, "the app's output always reaches the error log"),
        new("statsd_host", ["--statsd-host"], true, "no StatsD; PyHost's metrics are planned for Prometheus and OpenTelemetry"),
        new("dogstatsd_tags", ["--dogstatsd-tags"], true, "no StatsD"),
        new("statsd_prefix", ["--statsd-prefix"], true, "no StatsD"),
        new("enable_backlog_metric", ["--enable-backlog-metric"], false, "no StatsD"),
        new("default_proc_name", [], true, "gunicorn's internal setting; use proc_name"),
        new("proxy_allow_ips", ["--proxy-allow-from"], true, "PyHost believes PROXY protocol headers from forwarded_allow_ips peers only: list the proxies there"),
        new("ssl_version", ["--ssl-version"], true, "PyHost offers TLS 1.2 and 1.3 only"),
        new("suppress_ragged_eofs", ["--suppress-ragged-eofs"], false, "not configurable"),
        new("do_handshake_on_connect", ["--do-handshake-on-connect"], false, "not configurable"),
        new("ciphers", ["--ciphers"], true, "PyHost uses a modern cipher default"),
        new("raw_paste_global_conf", ["--paste-global"], true, "PasteDeploy global_conf variables are not passed"),
        new("strip_header_spaces", ["--strip-header-spaces"], false, "a space before a header's colon is refused (RFC 9112 §5.1)"),
        new("tolerate_dangerous_framing", ["--tolerate-dangerous-framing"], false, "ambiguous message framing is always refused"),
        new("permit_obsolete_folding", ["--permit-obsolete-folding"], false, "obsolete line folding is refused (RFC 9112 §5.2)"),
        new("permit_unconventional_http_method", ["--permit-unconventional-http-method"], false, "not configurable"),
        new("permit_unconventional_http_version", ["--permit-unconventional-http-version"], false, "not configurable"),
        new("casefold_http_method", ["--casefold-http-method"], false, "methods are case-sensitive (RFC 9110 §9.1)"),
        new("forwarder_headers", ["--forwarder-headers"], true, "forwarded headers are read from forwarded_allow_ips peers only"),
        new("header_map", ["--header-map"], true, "header names with underscores are never mapped onto dashes"),
        new("protocol", ["--protocol"], true, "use an address scheme in bind instead: uwsgi://HOST:PORT"),
        new("uwsgi_allow_ips", ["--uwsgi-allow-from"], true, "not supported"),
        new("http2_cleartext", ["--http2-cleartext"], false, "h2c is offered on plain listeners with protocols = [\"h1\", \"h2\"]"),
        new("http2_max_concurrent_streams", ["--http2-max-concurrent-streams"], true, "not configurable yet"),
        new("http2_initial_window_size", ["--http2-initial-window-size"], true, "not configurable yet"),
        new("http2_max_frame_size", ["--http2-max-frame-size"], true, "not configurable yet"),
        new("http2_max_header_list_size", ["--http2-max-header-list-size"], true, "not configurable yet"),
        new("asgi_disconnect_grace_period", ["--asgi-disconnect-grace-period"], true, "an ASGI app is told at once that its client left (http.disconnect)"),
        new("http_parser", ["--http-parser"], true, "PyHost's front parses HTTP itself"),
        new("root_path", ["--root-path"], true, "mount the app under a route path instead: SCRIPT_NAME follows the route"),
        new("dirty_apps", ["--dirty-app"], true, "not supported"),
        new("dirty_workers", ["--dirty-workers"], true, "not supported"),
        new("dirty_timeout", ["--dirty-timeout"], true, "not supported"),
        new("dirty_threads", ["--dirty-threads"], true, "not supported"),
        new("dirty_graceful_timeout", ["--dirty-graceful-timeout"], true, "not supported"),
        new("control_socket", ["--control-socket"], true, "PyHost's control socket sits beside its pid file"),
        new("control_socket_mode", ["--control-socket-mode"], true, "PyHost's control socket is 0600"),
        new("control_socket_disable", ["--no-control-socket"], false, "not configurable"),
        Hook("on_starting"),
        Hook("on_reload"),
        Hook("when_ready"),
        Hook("pre_fork"),
        Hook("post_fork"),
        Hook("post_worker_init"),
        Hook("worker_int"),
        Hook("worker_abort"),
        Hook("pre_exec"),
        Hook("pre_request"),
        Hook("post_request"),
        Hook("child_exit"),
        Hook("worker_exit"),
        Hook("nworkers_changed"),
        Hook("on_exit"),
        Hook("ssl_context"),
        Hook("on_dirty_starting"),
        Hook("dirty_post_fork"),
        Hook("dirty_worker_init"),
        Hook("dirty_worker_exit"),
    ];

    public static Setting? ByName(string name) => All.FirstOrDefault(setting => setting.Name == name);

    public static Setting? ByFlag(string flag) => All.FirstOrDefault(setting => setting.Flags.Contains(flag, StringComparer.Ordinal));
}
