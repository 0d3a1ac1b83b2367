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
        ["reload_extra_files"] = ["--reload-extra-file", "x.html"], ["paste"] = ["--paste", "dev.ini"], ["static"] = ["--static", "/s=public"],
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
            "--proxy-protocol", "--http-protocols", "h1,h2");
        Assert.Equal(2, config.Listeners.Count);
        Assert.All(config.Listeners, listener =>
        {
            Assert.Equal(4094, listener.Limits.MaxRequestLine!.Value.Bytes);
            Assert.Equal(50, listener.Limits.MaxHeaderCount);
            Assert.Equal(1L << 20, listener.Limits.MaxHeaderSize!.Value.Bytes);
            Assert.Equal(TimeSpan.FromSeconds(5), listener.Limits.KeepaliveTimeout);
            Assert.Equal(ListenerTls.Files, listener.Tls);
            Assert.Equal(Path.Combine(load.Files.Directory, "c.pem"), listener.Certificate);
            Assert.Equal(ClientCertificates.Required, listener.ClientCertificates);
            Assert.Equal(ProxyProtocol.Any, listener.ProxyProtocol);
            Assert.Equal([HttpProtocol.Http1, HttpProtocol.Http2], listener.Protocols);
        });
        Assert.Equal(new FlagOrigin("--keep-alive"), config.Provenance.Of("listen[1].limits.keepalive_timeout"));
    }

    [Theory]
    [InlineData(new[] { "-w", "0" }, "flag -w: error: app.main.workers: 0 is out of range: expected a whole number from 1 to 4096")]
    [InlineData(new[] { "-w", "four" }, "flag -w: error: app.main.workers: expected a whole number from 1 to 4096, got a string \"four\"")]
    [InlineData(new[] { "-t", "soon" }, "flag -t: error: app.main.timeout: 'soon' is not a duration")]
    [InlineData(new[] { "-b", "example.com:80" }, "flag -b: error: listen[0].address: 'example.com:80': 'example.com' is not an IP address")]
    [InlineData(new[] { "-e", "NOVALUE" }, "flag -e: error: env: 'NOVALUE': expected KEY=VALUE")]
    [InlineData(new[] { "--log-level", "loud" }, "\"loud\" is not one of \"debug\"")]
    [InlineData(new[] { "-k", "uvicorn.workers.UvicornWorker" }, "serves ASGI apps, which PyHost does not serve yet")]
    [InlineData(new[] { "-k", "gevent" }, "worker class 'gevent' is not supported")]
    [InlineData(new[] { "--static", "public" }, "'public': expected URL_PREFIX=DIR")]
    [InlineData(new[] { "--workers-max", "2", "-w", "4" }, "workers_max (2) is less than workers (4, from flag -w)")]
    [InlineData(new[] { "hello:app", "--paste", "x.ini" }, "give either module (argument APP) or paste (flag --paste), not both")]
    public void BadFlagsAreErrorsNamingTheFlag(string[] arguments, string expected)
    {
        using var load = new LoadHelper();
        Assert.Contains(expected, load.Errors(arguments));
    }

    [Fact]
    public void UmaskIsReadAsPeopleWriteIt()
    {
        using var load = new LoadHelper();
        Assert.Equal(7, load.LoadValid("-m", "007").Server.Umask);
        Assert.Equal(18, load.LoadValid("-m", "0o22").Server.Umask);
        Assert.Equal(18, load.LoadValid("--umask", "18").Server.Umask);
    }
}
