using PyHost.Configuration.CommandLine;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.CommandLine;

/// <summary>Today's <c>pyhost serve</c> flags describe one app, one default site and a listener per -b.</summary>
public class FlagsModelTests
{
    [Fact]
    public void NoFlagsIsTheDetectedAppOnLoopbackPort8000()
    {
        using var load = new LoadHelper();
        PyHostConfig config = load.LoadValid();
        AppConfig app = Assert.Single(config.Apps);
        Assert.Equal(AppConfig.DefaultName, app.Name);
        Assert.Null(app.Module);   // found in the app directory by the server, as today
        Assert.Equal(2, app.Workers);
        Assert.Equal(new DefaultOrigin("the number of CPU cores"), config.Provenance.Of("app.main.workers"));
        Assert.Equal("127.0.0.1:8000", Assert.Single(config.Listeners).Address.Text);
        RouteConfig route = Assert.Single(Assert.Single(config.Sites).Routes);
        Assert.Equal("/", route.Path);
        Assert.Equal(new AppTarget("main"), route.Target);
        Assert.True(config.Sites[0].IsDefault);
    }

    [Fact]
    public void TodaysFlagsAllLandInTheModel()
    {
        using var load = new LoadHelper();
        string site = load.Files.MakeDirectory("site");
        PyHostConfig config = load.LoadValid(
            "hello:app", "-b", "127.0.0.1:9000", "-b", "unix:run/site.sock", "-w", "3", "-t", "60", "--graceful-timeout", "10",
            "--chdir", "site", "--pythonpath", "lib,vendor", "--python", "/usr/bin/python3", "--access-logfile", "-",
            "--error-logfile", "error.log", "--log-level", "warning", "--pid", "site.pid", "--debug", "-e", "A=1", "-e", "B=two=2",
            "--max-requests", "100", "--max-requests-jitter", "10", "--max-worker-memory", "256", "--workers-max", "6",
            "--idle-timeout", "45", "--threads", "4", "-u", "www-data", "-g", "www-data", "--preload", "--reload",
            "--reload-extra-file", "templates/base.html", "--static", "/static/=staticfiles", "--static", "media=uploads",
            "--max-queued-requests", "500", "--backlog", "1024");

        AppConfig app = Assert.Single(config.Apps);
        Assert.Equal("hello:app", app.Module);
        Assert.Equal(3, app.Workers);
        Assert.Equal(TimeSpan.FromSeconds(60), app.Timeout);
        Assert.Equal(site, app.Chdir);
        Assert.Equal([Path.Combine(load.Files.Directory, "lib"), Path.Combine(load.Files.Directory, "vendor")], app.PythonPath);
        Assert.Equal("/usr/bin/python3", app.Python);
        Assert.True(app.Debug && app.Preload && app.Reload);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "two=2" }, app.Env);
        Assert.Equal((100, 10), (app.MaxRequests, app.MaxRequestsJitter));
        Assert.Equal(256L << 20, app.MaxWorkerMemory!.Value.Bytes);
        Assert.Equal(6, app.WorkersMax);
        Assert.Equal(TimeSpan.FromSeconds(45), app.IdleTimeout);
        Assert.Equal(4, app.Threads);
        Assert.Equal(("www-data", "www-data"), (app.User, app.Group));
        Assert.Equal([Path.Combine(load.Files.Directory, "templates/base.html")], app.ReloadExtraFiles);
        Assert.Equal(TimeSpan.FromSeconds(10), app.GracefulTimeout);

        Assert.Equal(TimeSpan.FromSeconds(10), config.Server.GracefulTimeout);
        Assert.Equal(Path.Combine(load.Files.Directory, "site.pid"), config.Server.PidFile);
        Assert.Equal(500, config.Server.MaxQueuedRequests);
        Assert.Equal(LogLevel.Warning, config.Log.Level);
        Assert.Equal("-", config.Log.AccessLog);
        Assert.Equal(Path.Combine(load.Files.Directory, "error.log"), config.Log.ErrorLog);

        Assert.Equal(["127.0.0.1:9000", "unix:run/site.sock"], config.Listeners.Select(listener => listener.Address.Text));
        Assert.Equal(Path.Combine(load.Files.Directory, "run/site.sock"), config.Listeners[1].Address.UnixSocketPath);
        Assert.All(config.Listeners, listener => Assert.Equal(1024, listener.Backlog));

        SiteConfig defaultSite = Assert.Single(config.Sites);
        Assert.Equal(["/static", "/media", "/"], defaultSite.Routes.Select(route => route.Path));
        Assert.Equal(new StaticTarget(Path.Combine(load.Files.Directory, "staticfiles")), defaultSite.Routes[0].Target);
        Assert.Equal(new StaticTarget(Path.Combine(load.Files.Directory, "uploads")), defaultSite.Routes[1].Target);
        Assert.Equal(new AppTarget("main"), defaultSite.Routes[2].Target);

        Assert.Equal(new FlagOrigin("-w"), config.Provenance.Of("app.main.workers"));
        Assert.Equal(new FlagOrigin("APP"), config.Provenance.Of("app.main.module"));
        Assert.Equal(new FlagOrigin("-b"), config.Provenance.Of("listen[1].address"));
        Assert.Equal(new FlagOrigin("--static"), config.Provenance.Of("site[0].route[0].static"));
    }

    /// <summary>A value for every setting of the table: a new flag needs one here, and is then checked to land without error.</summary>
    private static readonly Dictionary<string, string[]> Samples = new()
    {
        ["app"] = ["hello:app"], ["config"] = [], ["check_config"] = ["--check-config"], ["print_config"] = ["--print-config"],
        ["bind"] = ["-b", "0.0.0.0:80"], ["workers"] = ["-w", "2"], ["worker_class"] = ["-k", "gthread"], ["threads"] = ["--threads", "2"],
        ["timeout"] = ["-t", "5"], ["graceful_timeout"] = ["--graceful-timeout", "5"], ["keepalive"] = ["--keep-alive", "5"],
        ["max_requests"] = ["--max-requests", "5"], ["max_requests_jitter"] = ["--max-requests-jitter", "5"],
        ["max_worker_memory"] = ["--max-worker-memory", "100"], ["workers_max"] = ["--workers-max", "9"], ["idle_timeout"] = ["--idle-timeout", "9"],
        ["preload_app"] = ["--preload"], ["chdir"] = ["--chdir", "."], ["pythonpath"] = ["--pythonpath", "a"], ["python"] = ["--python", "python3"],
        ["raw_env"] = ["-e", "A=B"], ["user"] = ["-u", "nobody"], ["group"] = ["-g", "nogroup"], ["umask"] = ["-m", "007"],
        ["pidfile"] = ["-p", "x.pid"], ["proc_name"] = ["-n", "site"], ["max_queued_requests"] = ["--max-queued-requests", "9"],
        ["forwarded_allow_ips"] = ["--forwarded-allow-ips", "127.0.0.1,10.0.0.0/8"], ["accesslog"] = ["--access-logfile", "-"],
        ["errorlog"] = ["--log-file", "-"], ["loglevel"] = ["--log-level", "debug"], ["access_log_format"] = ["--access-logformat", "json"],
        ["capture_output"] = ["--capture-output"], ["backlog"] = ["--backlog", "64"], ["limit_request_line"] = ["--limit-request-line", "4094"],
        ["limit_request_fields"] = ["--limit-request-fields", "50"], ["limit_request_field_size"] = ["--limit-request-field_size", "0"],
        ["certfile"] = ["--certfile", "c.pem", "--keyfile", "c.key"], ["keyfile"] = ["--certfile", "c.pem", "--keyfile", "c.key"],
        ["ca_certs"] = ["--certfile", "c.pem", "--keyfile", "c.key", "--ca-certs", "ca.pem", "--cert-reqs", "2"],
        ["cert_reqs"] = ["--certfile", "c.pem", "--keyfile", "c.key", "--ca-certs", "ca.pem", "--cert-reqs", "1"],
        ["proxy_protocol"] = ["--proxy-protocol"], ["http_protocols"] = ["--http-protocols", "h1"], ["reload"] = ["--reload"],
        ["reload_extra_files"] = ["--reload-extra-file", "x.html"], ["paste"] = ["--paste", "dev.ini"], ["static"] = ["--static", "/s=public"], ["cgi"] = ["--cgi", "/cgi-bin=/bin,.sh"],
        ["mongrel2"] = ["--mongrel2", "tcp://127.0.0.1:9997,tcp://127.0.0.1:9996"],
        ["debug"] = ["--debug"], ["forwarded_headers"] = ["--forwarded-headers", "forwarded"], ["header_timeout"] = ["--header-timeout", "10"],
        ["min_request_body_rate"] = ["--min-request-body-rate", "100"], ["max_connections"] = ["--max-connections", "100"],
        ["max_connections_per_client"] = ["--max-connections-per-client", "10"], ["max_boot_failures"] = ["--max-boot-failures", "2"],
        ["pipeline_depth"] = ["--pipeline-depth", "0"], ["pipeline_age"] = ["--pipeline-age", "5"], ["max_request_body"] = ["--max-request-body", "10m"],
        ["no_request_buffering"] = ["--no-request-buffering"], ["no_response_buffering"] = ["--no-response-buffering"], ["compress"] = ["--compress"],
        ["compress_codings"] = ["--compress-codings", "br,gzip"], ["compress_level"] = ["--compress-level", "gzip=6"],
        ["compress_min_length"] = ["--compress-min-length", "1024"], ["error_page"] = ["--error-page", "404=404.html"],
        ["static_index"] = ["--static", "/s=public", "--static-index", "index.html"], ["static_fallback"] = ["--static", "/s=public", "--static-fallback", "index.html"],
        ["static_cache_control"] = ["--static", "/s=public", "--static-cache-control", "hashed=public, max-age=31536000, immutable"],
        ["static_precompressed"] = ["--static", "/s=public", "--static-precompressed"], ["static_max_ranges"] = ["--static", "/s=public", "--static-max-ranges", "4"],
        ["static_sendfile"] = ["--static", "/s=public", "--static-sendfile", "false"],
        ["interface"] = ["--interface", "asgi"], ["lifespan"] = ["--lifespan", "on"], ["loop"] = ["--loop", "asyncio"],
        ["worker_connections"] = ["--worker-connections", "500"], ["websocket_max_size"] = ["--ws-max-size", "1MiB"],
        ["websocket_ping_interval"] = ["--ws-ping-interval", "5"], ["websocket_ping_timeout"] = ["--ws-ping-timeout", "10"],
        ["websocket_per_message_deflate"] = ["--ws-per-message-deflate", "false"],

        ["debug"] = ["--debug"], ["error_log_format"] = ["--error-log-format", "json"],
        ["admin"] = ["--admin", "127.0.0.1:9000", "--admin-token-file", "admin.token"], ["admin_token_file"] = ["--admin-token-file", "admin.token"],
        ["otlp_endpoint"] = ["--otlp-endpoint", "http://127.0.0.1:4318"], ["otlp_protocol"] = ["--otlp-protocol", "grpc"],
    };

    public static TheoryData<string> SettingNames() => new(ServeSettings.All.Select(setting => setting.Name));

    [Theory]
    [MemberData(nameof(SettingNames))]
    public void EverySettingOfTheTableLandsWithoutError(string name)
    {
        Assert.True(Samples.ContainsKey(name), $"add a sample for the new setting '{name}' to {nameof(Samples)}");
        using var load = new LoadHelper();
        ConfigLoadResult result = load.Load(Samples[name]);
        Assert.True(result.Succeeded && !result.Diagnostics.Any(), string.Join("\n", result.Diagnostics));
    }

    [Fact]
    public void GunicornLimitAndTlsFlagsReachEveryListener()
    {
        using var load = new LoadHelper();
        PyHostConfig config = load.LoadValid("--limit-request-line", "4094", "--limit-request-fields", "50", "--limit-request-field_size", "0",
            "--keep-alive", "5", "--certfile", "c.pem", "-b", "0.0.0.0:443", "--keyfile", "c.key", "-b", "[::]:443", "--cert-reqs", "2", "--ca-certs", "ca.pem",
            "--proxy-protocol", "--http-protocols", "h1,h2", "--header-timeout", "10", "--min-request-body-rate", "1000", "--max-connections", "500",
            "--max-connections-per-client", "20", "--backlog", "100000");
        Assert.Equal(2, config.Listeners.Count);
        Assert.All(config.Listeners, listener =>
        {
            Assert.Equal(4094, listener.Limits.MaxRequestLine!.Value.Bytes);
            Assert.Equal(50, listener.Limits.MaxHeaderCount);
            Assert.Equal(0, listener.Limits.MaxHeaderSize!.Value.Bytes);   // gunicorn's 0: no limit of its own
            Assert.Equal(TimeSpan.FromSeconds(5), listener.Limits.KeepaliveTimeout);
            Assert.Equal(TimeSpan.FromSeconds(10), listener.Limits.HeaderTimeout);
            Assert.Equal(1000, listener.Limits.MinRequestBodyRate!.Value.Bytes);
            Assert.Equal((500, 20), (listener.Limits.MaxConnections, listener.Limits.MaxConnectionsPerClient));
            Assert.Equal(100000, listener.Backlog);
            Assert.Equal(ListenerTls.Files, listener.Tls);
            Assert.Equal(Path.Combine(load.Files.Directory, "c.pem"), listener.Certificate);
            Assert.Equal(ClientCertificates.Required, listener.ClientCertificates);
            Assert.Equal(ProxyProtocol.Any, listener.ProxyProtocol);
            Assert.Equal([HttpProtocol.Http1, HttpProtocol.Http2], listener.Protocols);
        });
        Assert.Equal(new FlagOrigin("--keep-alive"), config.Provenance.Of("listen[1].limits.keepalive_timeout"));
        Assert.Equal(new FlagOrigin("--header-timeout"), config.Provenance.Of("listen[1].limits.header_timeout"));
    }

    [Fact]
    public void ZeroTurnsAListenerLimitOffAsTodaysFlagsSay()
    {
        using var load = new LoadHelper();
        LimitsConfig limits = Assert.Single(load.LoadValid("--limit-request-line", "0", "--limit-request-fields", "0", "--header-timeout", "0",
            "--keep-alive", "0", "--min-request-body-rate", "0", "--max-connections", "0").Listeners).Limits;
        Assert.Equal(0, limits.MaxRequestLine!.Value.Bytes);
        Assert.Equal(0, limits.MaxHeaderCount);
        Assert.Equal(TimeSpan.Zero, limits.HeaderTimeout);
        Assert.Equal(TimeSpan.Zero, limits.KeepaliveTimeout);
        Assert.Equal(0, limits.MinRequestBodyRate!.Value.Bytes);
        Assert.Equal(0, limits.MaxConnections);
    }

    [Fact]
    public void WithoutFlagsTheListenerLimitsAreTodaysDefaults()
    {
        using var load = new LoadHelper();
        LimitsConfig limits = Assert.Single(load.LoadValid().Listeners).Limits;
        Assert.Equal((8190L, 100, 8190L), (limits.MaxRequestLine!.Value.Bytes, limits.MaxHeaderCount!.Value, limits.MaxHeaderSize!.Value.Bytes));
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(75)), (limits.HeaderTimeout!.Value, limits.KeepaliveTimeout!.Value));
        Assert.Equal((240L, 10_000, 0), (limits.MinRequestBodyRate!.Value.Bytes, limits.MaxConnections!.Value, limits.MaxConnectionsPerClient!.Value));
        Assert.Equal(100L << 20, limits.MaxBodySize!.Value.Bytes);
    }

    [Fact]
    public void ServerAndAppFlagsOfTheFrontAndThePoolLand()
    {
        using var load = new LoadHelper();
        PyHostConfig config = load.LoadValid("--forwarded-headers", "Forwarded", "--pipeline-depth", "8", "--pipeline-age", "5",
            "--max-boot-failures", "2", "--max-queued-requests", "10", "-n", "mysite", "--umask", "007");
        Assert.Equal(ForwardedHeaderStyle.Forwarded, config.Server.ForwardedHeaders);
        AppConfig app = Assert.Single(config.Apps);
        Assert.Equal((8, TimeSpan.FromMilliseconds(5), 2), (app.PipelineDepth, app.PipelineAge, app.MaxBootFailures));
        Assert.Equal((10, "mysite", 7), (config.Server.MaxQueuedRequests, config.Server.Name, config.Server.Umask));
        Assert.Equal(TimeSpan.FromMilliseconds(2.5), load.LoadValid("--pipeline-age", "2.5").Apps[0].PipelineAge);
        Assert.Equal(TimeSpan.FromMilliseconds(3), load.LoadValid("--pipeline-age", "3ms").Apps[0].PipelineAge);

        PyHostConfig defaults = load.LoadValid();
        Assert.Equal(ForwardedHeaderStyle.XForwarded, defaults.Server.ForwardedHeaders);
        Assert.Equal((4, TimeSpan.FromMilliseconds(1), 5), (defaults.Apps[0].PipelineDepth, defaults.Apps[0].PipelineAge, defaults.Apps[0].MaxBootFailures));
    }

    [Fact]
    public void AFlagGivenTwiceTakesItsLastValueAndARepeatableOneAddsEach()
    {
        using var load = new LoadHelper();
        load.Files.MakeDirectory("a");
        load.Files.MakeDirectory("b");
        PyHostConfig config = load.LoadValid("-w", "2", "--workers", "3", "--max-request-body", "1m", "--max-request-body", "2m",
            "--forwarded-headers", "none", "--forwarded-headers", "forwarded", "--keep-alive", "1", "--keep-alive", "2",
            "-e", "A=1", "-e", "A=2", "-e", "B=3", "--static", "/a=a", "--static", "/b=b", "--static-index", "x.html", "--static-index", "y.html",
            "--static-cache-control", "*.css=no-cache", "--static-cache-control", "hashed=immutable", "--error-page", "404=a.html", "--error-page", "404=b.html",
            "--compress-level", "gzip=2", "--compress-level", "gzip=3", "--compress-level", "br=6");
        Assert.Equal(3, config.Apps[0].Workers);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "2", ["B"] = "3" }, config.Apps[0].Env);
        Assert.Equal(ForwardedHeaderStyle.Forwarded, config.Server.ForwardedHeaders);
        Assert.Equal(TimeSpan.FromSeconds(2), config.Listeners[0].Limits.KeepaliveTimeout);
        SiteConfig site = Assert.Single(config.Sites);
        Assert.Equal(2L << 20, site.Limits.MaxBodySize!.Value.Bytes);
        Assert.Equal(["/a", "/b", "/"], site.Routes.Select(route => route.Path));
        Assert.All(site.Routes.Take(2), route =>
        {
            Assert.Equal("y.html", route.StaticOptions!.Index);
            Assert.Equal([("*.css", "no-cache"), ("hashed", "immutable")], route.StaticOptions.CacheControl.Select(entry => (entry.Match, entry.Value)));
        });
        Assert.Equal(Path.Combine(load.Files.Directory, "b.html"), Assert.Single(site.ErrorPages).Value);
        Assert.Equal((3, 6, 3), (site.Compression!.Levels.Gzip, site.Compression.Levels.Brotli, site.Compression.Levels.Zstd));
    }

    [Theory]
    [InlineData(new[] { "-w", "0" }, "flag -w: error: app.main.workers: 0 is out of range: expected a whole number from 1 to 4096")]
    [InlineData(new[] { "--workers", "zero" }, "flag --workers: error: app.main.workers: expected a whole number from 1 to 4096, not 'zero'")]
    [InlineData(new[] { "-t", "soon" }, "flag -t: error: app.main.timeout: 'soon' is not a duration")]
    [InlineData(new[] { "-b", "example.com:80" }, "flag -b: error: listen[0].address: 'example.com:80': 'example.com' is not an IP address")]
    [InlineData(new[] { "-e", "NOVALUE" }, "flag -e: error: env: 'NOVALUE': expected KEY=VALUE")]
    [InlineData(new[] { "--log-level", "loud" }, "flag --log-level: error: log.level: \"loud\" is not one of \"debug\"")]
    [InlineData(new[] { "-k", "uvicorn.workers.UvicornWebSocketWorker" }, "flag -k: error: worker_class: worker class 'uvicorn.workers.UvicornWebSocketWorker' is not one PyHost knows")]
    [InlineData(new[] { "--interface", "rsgi" }, "\"rsgi\" is not one of \"auto\"")]
    [InlineData(new[] { "-k", "gevent" }, "flag -k: error: worker_class: 'gevent' is a green-thread worker class, which PyHost does not have\n  hint: for I/O-bound apps use -k gthread --threads N, or serve an ASGI app")]
    [InlineData(new[] { "-k", "Sync2" }, "flag -k: error: worker_class: expected sync, gthread or uvicorn.workers.UvicornWorker, not 'Sync2'")]
    [InlineData(new[] { "--static", "public" }, "flag --static: error: static: expected URL_PREFIX=DIR, not 'public'")]
    [InlineData(new[] { "--static", "/a b=public" }, "flag --static: error: static: \"/a b\" is not a plain path")]

    [InlineData(new[] { "--workers-max", "2", "-w", "4" }, "workers_max (2) is less than workers (4, from flag -w)")]
    [InlineData(new[] { "hello:app", "--paste", "x.ini" }, "give either module (argument APP) or paste (flag --paste), not both")]
    [InlineData(new[] { "--forwarded-headers", "x-real-ip" }, "flag --forwarded-headers: error: server.forwarded_headers: \"x-real-ip\" is not one of \"x-forwarded\", \"forwarded\", \"none\"")]
    [InlineData(new[] { "--forwarded-allow-ips", "10" }, "flag --forwarded-allow-ips: error: server.forwarded_allow_ips[0]: \"10\" is not an IP address or CIDR range")]
    [InlineData(new[] { "--forwarded-allow-ips", "10.1.2.3/8" }, "flag --forwarded-allow-ips: error: server.forwarded_allow_ips[0]: \"10.1.2.3/8\" is not an IP address or CIDR range")]
    [InlineData(new[] { "--pipeline-depth", "65" }, "flag --pipeline-depth: error: app.main.pipeline_depth: 65 is out of range: expected a whole number from 0 to 64")]
    [InlineData(new[] { "--pipeline-age", "soon" }, "flag --pipeline-age: error: app.main.pipeline_age: 'soon' is not a duration")]
    [InlineData(new[] { "--max-boot-failures", "0" }, "flag --max-boot-failures: error: app.main.max_boot_failures: 0 is out of range: expected a whole number of at least 1")]
    [InlineData(new[] { "--max-request-body", "lots" }, "flag --max-request-body: error: site[0].limits.max_body_size: \"lots\": a size is a number of bytes")]
    [InlineData(new[] { "--max-request-body", "10x" }, "flag --max-request-body: error: site[0].limits.max_body_size: \"10x\": 'x' is not a size unit")]
    [InlineData(new[] { "--header-timeout", "-1" }, "flag --header-timeout: error: listen[0].limits.header_timeout: '-1' is not a duration")]
    [InlineData(new[] { "--max-connections", "many" }, "flag --max-connections: error: listen[0].limits.max_connections: expected a whole number, 0 or more, not 'many'")]
    [InlineData(new[] { "--max-connections-per-client", "-3" }, "flag --max-connections-per-client: error: listen[0].limits.max_connections_per_client: -3 is out of range: expected a whole number, 0 or more")]
    [InlineData(new[] { "--min-request-body-rate", "fast" }, "flag --min-request-body-rate: error: listen[0].limits.min_request_body_rate: \"fast\": a size is a number of bytes")]
    [InlineData(new[] { "--limit-request-fields", "40000" }, "flag --limit-request-fields: error: listen[0].limits.max_header_count: 40000 is out of range: expected a whole number from 0 to 32768")]
    [InlineData(new[] { "--backlog", "0" }, "flag --backlog: error: listen[0].backlog: 0 is out of range: expected a whole number of at least 1")]
    [InlineData(new[] { "--compress-codings", "gzip,lzma" }, "flag --compress-codings: error: site[0].compression.codings[1]: \"lzma\" is not one of \"zstd\", \"br\", \"gzip\"")]
    [InlineData(new[] { "--compress-codings", "," }, "flag --compress-codings: error: site[0].compression.codings: expected one or more of \"zstd\", \"br\", \"gzip\"")]
    [InlineData(new[] { "--compress-level", "gzip=10" }, "flag --compress-level: error: site[0].compression.levels.gzip: 10 is out of range: expected a whole number from 1 to 9")]
    [InlineData(new[] { "--compress-level", "br=max" }, "flag --compress-level: error: site[0].compression.levels.br: expected a whole number from 0 to 11, not 'max'")]
    [InlineData(new[] { "--compress-level", "deflate=3" }, "flag --compress-level: error: compression.levels: expected CODING=LEVEL with CODING zstd, br or gzip, not 'deflate=3'")]
    [InlineData(new[] { "--compress-min-length", "small" }, "flag --compress-min-length: error: site[0].compression.min_length: \"small\": a size is a number of bytes")]
    [InlineData(new[] { "--error-page", "404" }, "flag --error-page: error: error_pages: expected STATUS=FILE, not '404'")]
    [InlineData(new[] { "--error-page", "403=forbidden.html" }, "flag --error-page: error: site[0].error_pages.403: '403' is not a status PyHost has a page for")]
    [InlineData(new[] { "--static", "/s=public", "--static-index", "../secret" }, "flag --static-index: error: site[0].route[0].index: \"../secret\" is not a file name in the directory")]
    [InlineData(new[] { "--static", "/s=public", "--static-fallback", "" }, "flag --static-fallback: error: site[0].route[0].fallback: \"\" is not a file name in the directory")]
    [InlineData(new[] { "--static", "/s=public", "--static-cache-control", "no-cache" }, "flag --static-cache-control: error: cache_control: expected PATTERN=VALUE, not 'no-cache'")]
    [InlineData(new[] { "--static", "/s=public", "--static-max-ranges", "0" }, "flag --static-max-ranges: error: site[0].route[0].max_ranges: 0 is out of range: expected a whole number of at least 1")]
    [InlineData(new[] { "--umask", "0o1777" }, "flag --umask: error: server.umask: 1777 (octal) is out of range: expected a mode mask: 0o007 or \"007\", at most 0o777")]
    [InlineData(new[] { "--umask", "rwx" }, "flag --umask: error: server.umask: expected a mode mask: 0o007 or \"007\", not 'rwx'")]
    [InlineData(new[] { "--name", "a/b" }, "flag --name: error: server.name: 'a/b' is not a plain name")]
    [InlineData(new[] { "--max-worker-memory", "lots" }, "flag --max-worker-memory: error: app.main.max_worker_memory: \"lots\": a size is a number of bytes")]
    [InlineData(new[] { "--keyfile", "k.pem", "--ca-certs", "ca.pem" }, "flag --keyfile: error: listen[0].key: --keyfile, --ca-certs and --cert-reqs go with --certfile, which turns TLS on")]
    [InlineData(new[] { "--certfile", "c.pem", "--cert-reqs", "1" }, "flag --cert-reqs: error: listen[0].client_certificates: --cert-reqs asks for client certificates: give --ca-certs")]
    [InlineData(new[] { "-b", "uwsgi://127.0.0.1:3031", "--certfile", "c.pem" }, "error: listen[0].tls: a uwsgi listener speaks to a web server in front, which terminates TLS")]   // [[listen]]'s own check, run on flags too
    public void BadFlagsAreErrorsNamingTheFlag(string[] arguments, string expected)
    {
        using var load = new LoadHelper();
        load.Files.MakeDirectory("public");
        Assert.Contains(expected, load.Errors(arguments));
    }

    /// <summary>gunicorn's --certfile may hold the key too (Python's load_cert_chain reads it from there); in a [[listen]]
    /// table certificate and key go together.</summary>
    [Fact]
    public void ACertfileWithoutAKeyfileIsFine()
    {
        using var load = new LoadHelper();
        ListenerConfig listener = Assert.Single(load.LoadValid("--certfile", "both.pem").Listeners);
        Assert.Equal(ListenerTls.Files, listener.Tls);
        Assert.Null(listener.Key);
    }

    [Theory]
    [InlineData("uvicorn.workers.UvicornWorker")]
    [InlineData("uvicorn_worker.UvicornWorker")]
    public void UvicornsWorkerClassMeansAnAsgiApp(string workerClass)
    {
        using var load = new LoadHelper();
        AppConfig app = Assert.Single(load.LoadValid("hello:app", "-k", workerClass).Apps);
        Assert.Equal("asgi", app.Interface);
    }

    [Fact]
    public void UvicornsInterfaceNamesAreAsgi()
    {
        using var load = new LoadHelper();
        Assert.Equal("asgi", Assert.Single(load.LoadValid("--interface", "asgi3").Apps).Interface);
    }

    [Fact]
    public void UmaskIsReadAsPeopleWriteIt()
    {
        using var load = new LoadHelper();
        Assert.Equal(7, load.LoadValid("-m", "007").Server.Umask);
        Assert.Equal(18, load.LoadValid("-m", "0o22").Server.Umask);
        Assert.Equal(18, load.LoadValid("--umask", "18").Server.Umask);
        Assert.Equal(0x1F, load.LoadValid("--umask", "0x1f").Server.Umask);
    }

    [Fact]
    public void AZeroMemoryLimitOnTheCommandLineUndoesTheFilesLimit()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.main]\nmodule = \"hello:app\"\nmax_worker_memory = \"500MiB\"\n");
        Assert.Equal(500L << 20, load.LoadValid().Apps[0].MaxWorkerMemory!.Value.Bytes);
        Assert.Null(load.LoadValid("--max-worker-memory", "0").Apps[0].MaxWorkerMemory);
        Assert.Equal(64L << 20, load.LoadValid("--max-worker-memory", "64").Apps[0].MaxWorkerMemory!.Value.Bytes);
    }

    [Fact]
    public void TrustedProxiesDefaultToForwardedAllowIpsFromTheEnvironmentAsInGunicorn()
    {
        using var load = new LoadHelper();
        Assert.Equal(ServerConfig.LoopbackOnly, load.LoadValid().Server.ForwardedAllowIps);
        load.Variables["FORWARDED_ALLOW_IPS"] = "10.0.0.0/8, unix";
        PyHostConfig config = load.LoadValid();
        Assert.Equal(["10.0.0.0/8", "unix"], config.Server.ForwardedAllowIps);
        Assert.Equal(new EnvironmentOrigin("FORWARDED_ALLOW_IPS"), config.Provenance.Of("server.forwarded_allow_ips"));
        Assert.Equal(["192.0.2.1"], load.LoadValid("--forwarded-allow-ips", "192.0.2.1").Server.ForwardedAllowIps);

        load.Variables["FORWARDED_ALLOW_IPS"] = "10.1";
        Assert.Contains("env $FORWARDED_ALLOW_IPS: error: server.forwarded_allow_ips[0]: \"10.1\" is not an IP address or CIDR range", load.Errors());
    }
}
