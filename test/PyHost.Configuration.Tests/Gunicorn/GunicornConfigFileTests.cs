using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Gunicorn;

/// <summary>gunicorn .py config files, run by the real /usr/bin/python3.</summary>
public class GunicornConfigFileTests
{
    [Fact]
    public void EverySettingPyHostHasIsMappedWithItsLine()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", """
            import multiprocessing, ssl
            wsgi_app = "hello:app"
            bind = ["127.0.0.1:9001", "unix:run/site.sock"]
            workers = 2 * 3
            worker_class = "gthread"
            threads = 4
            timeout = 45
            graceful_timeout = 20.5
            keepalive = 5
            max_requests = 1000
            max_requests_jitter = 50
            preload_app = True
            chdir = "."
            pythonpath = "lib,vendor"
            raw_env = ["A=1", "B=x y"]
            user = "www-data"
            group = 33
            umask = 0o007
            pidfile = "site.pid"
            accesslog = "-"
            errorlog = "error.log"
            loglevel = "WARNING"
            access_log_format = '%(h)s %(r)s %(s)s'
            forwarded_allow_ips = "127.0.0.1,10.0.0.0/8"
            limit_request_line = 4094
            limit_request_fields = 50
            limit_request_field_size = 0
            certfile = "site.pem"
            keyfile = "site.key"
            ca_certs = "ca.pem"
            cert_reqs = ssl.CERT_REQUIRED
            proxy_protocol = True
            reload = True
            reload_extra_files = ["templates/base.html"]
            backlog = 512
            proc_name = "site"
            capture_output = True
            """);
        PyHostConfig config = load.LoadValid();
        string directory = load.Files.Directory;
        AppConfig app = Assert.Single(config.Apps);
        Assert.Equal("hello:app", app.Module);
        Assert.Equal((6, 4, 45, 1000, 50), (app.Workers!.Value, app.Threads, (int)app.Timeout.TotalSeconds, app.MaxRequests, app.MaxRequestsJitter));
        Assert.True(app.Preload && app.Reload);
        Assert.Equal(directory, app.Chdir);
        Assert.Equal([Path.Combine(directory, "lib"), Path.Combine(directory, "vendor")], app.PythonPath);
        Assert.Equal("x y", app.Env["B"]);
        Assert.Equal(("www-data", "33"), (app.User, app.Group));
        Assert.Equal(TimeSpan.FromSeconds(20.5), config.Server.GracefulTimeout);
        Assert.Equal(7, config.Server.Umask);
        Assert.Equal("site", config.Server.Name);
        Assert.Equal(Path.Combine(directory, "site.pid"), config.Server.PidFile);
        Assert.Equal(["127.0.0.1", "10.0.0.0/8"], config.Server.ForwardedAllowIps);
        Assert.Equal((LogLevel.Warning, "-", "%(h)s %(r)s %(s)s"), (config.Log.Level, config.Log.AccessLog!, config.Log.AccessFormat));
        Assert.Equal(2, config.Listeners.Count);
        Assert.All(config.Listeners, listener =>
        {
            Assert.Equal(ListenerTls.Files, listener.Tls);
            Assert.Equal(ClientCertificates.Required, listener.ClientCertificates);
            Assert.Equal(ProxyProtocol.Any, listener.ProxyProtocol);
            Assert.Equal(512, listener.Backlog);
            Assert.Equal(TimeSpan.FromSeconds(5), listener.Limits.KeepaliveTimeout);
            Assert.Equal((4094L, 50, 0L), (listener.Limits.MaxRequestLine!.Value.Bytes, listener.Limits.MaxHeaderCount!.Value, listener.Limits.MaxHeaderSize!.Value.Bytes));
        });
        Assert.Equal(Path.Combine(directory, "run/site.sock"), config.Listeners[1].Address.UnixSocketPath);
        Assert.Equal("gunicorn.conf.py:4", config.Provenance.Of("app.main.workers").Describe());
        Assert.Equal("gunicorn.conf.py:3", config.Provenance.Of("listen[1].address").Describe());
        Assert.Equal("gunicorn.conf.py:31", config.Provenance.Of("listen[0].client_certificates").Describe());
    }

    [Fact]
    public void HooksAndSettingsPyHostLacksAreWarningsNamingThem()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", """
            import os
            workers = 2
            daemon = False
            worker_tmp_dir = "/dev/shm"

            def post_fork(server, worker):
                server.log.info("forked")

            def when_ready(server):
                pass
            """);
        ConfigLoadResult result = load.Load("hello:app");
        Assert.True(result.Succeeded);
        Assert.Equal(
        [
            "gunicorn.conf.py:3: warning: daemon: gunicorn setting 'daemon' is not supported by PyHost: PyHost stays in the foreground: run it under systemd or another supervisor; ignored",
            "gunicorn.conf.py:4: warning: worker_tmp_dir: gunicorn setting 'worker_tmp_dir' is not supported by PyHost: PyHost's heartbeat is its worker channel, not a temporary file; ignored",
            "gunicorn.conf.py:6: warning: post_fork: gunicorn setting 'post_fork' is a server hook (a Python function gunicorn calls); PyHost does not run it; ignored",
            "gunicorn.conf.py:9: warning: when_ready: gunicorn setting 'when_ready' is a server hook (a Python function gunicorn calls); PyHost does not run it; ignored",
        ], result.Diagnostics.Select(diagnostic => diagnostic.ToString()));
    }

    [Fact]
    public void AMisspeltSettingGetsAWarningThoughGunicornIgnoresIt()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "import multiprocessing\nworker = 3\nhelper_value = 'x'\n_private = 1\n");
        ConfigDiagnostic warning = Assert.Single(load.Load("hello:app").Diagnostics);
        Assert.Equal("gunicorn.conf.py:2: warning: worker: 'worker' is not a gunicorn setting, so neither gunicorn nor PyHost reads it\n  hint: did you mean 'workers'?", warning.ToString());
    }

    [Fact]
    public void ASyntaxErrorNamesTheFileAndLine()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "workers = 2\nbind = ['127.0.0.1:8000'\ntimeout = 30\n");
        ConfigDiagnostic error = Assert.Single(load.Load("hello:app").Errors);
        Assert.Equal("gunicorn.conf.py:2", error.Origin!.Describe());
        Assert.Contains("the config file failed: SyntaxError: '[' was never closed", error.Message);
        Assert.Contains("SyntaxError", error.Hint);
    }

    [Fact]
    public void AnExceptionNamesTheLineThatRaisedItAndShowsTheTraceback()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "import os\nworkers = 2\nbind = os.environ['MISSING_BIND']\n");
        ConfigDiagnostic error = Assert.Single(load.Load("hello:app").Errors);
        Assert.Equal("gunicorn.conf.py:3: error: the config file failed: KeyError: 'MISSING_BIND'", error.ToString().Split('\n')[0]);
        Assert.Contains("line 3, in <module>", error.Hint);
        Assert.DoesNotContain("read_gunicorn_config", error.Hint);
    }

    [Fact]
    public void WhatTheFilePrintsDoesNotDisturbTheSettings()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "print('{\"settings\": 1}')\nimport sys\nsys.stdout.write('noise')\nworkers = 3\n");
        Assert.Equal(3, load.LoadValid("hello:app").Apps[0].Workers);
    }

    [Fact]
    public void AWrongValueIsAnErrorAtItsLine()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "workers = 2\ntimeout = 'forever'\nbind = 8000\n");
        Assert.Equal(
        [
            "gunicorn.conf.py:2: error: app.main.timeout: 'forever' is not a duration: use a number of seconds or units ms, s, m, h, d (\"500ms\", \"30s\", \"1h30m\")",
            "gunicorn.conf.py:3: error: listen[0].address: expected an address: \"HOST:PORT\", \"[::1]:PORT\", \"unix:PATH\", \"uwsgi://HOST:PORT\", ..., got an integer 8000\n  hint: an address is a string with a host: \"0.0.0.0:8000\"",
        ], load.Load("hello:app").Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void ACallableWhereAValueBelongsIsAnError()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "def workers():\n    return 2\n");
        Assert.StartsWith("gunicorn.conf.py:1: error: workers: workers is <function workers at", load.Errors("hello:app"));
    }

    [Fact]
    public void NoneMeansNotSetAsInGunicorn()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "pidfile = None\naccesslog = None\n");
        PyHostConfig config = load.LoadValid("hello:app");
        Assert.Null(config.Server.PidFile);
        Assert.Null(config.Log.AccessLog);
    }

    [Fact]
    public void AnInterpreterThatCannotBeRunIsAnErrorWithAHint()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "workers = 2\n");
        ConfigLoadResult result = load.Load("hello:app", "--python", "/nonexistent/python");
        ConfigDiagnostic error = Assert.Single(result.Errors);
        Assert.Contains("cannot run /nonexistent/python to read this gunicorn config file", error.Message);
        Assert.Contains("--python", error.Hint);
    }
}

public class GunicornExampleTests
{
    [Fact]
    public void TheExampleGunicornFileIsReadWithAWarningForItsHook()
    {
        string examples = Path.Combine(TestFiles.RepositoryRoot, "examples", "configs");
        ConfigLoadResult result = ConfigLoader.Load(new ConfigRequest
        {
            Arguments = ["-c", "gunicorn.conf.py"],
            Environment = ConfigEnvironment.From(new Dictionary<string, string>(), examples),
            LocatePython = _ => PythonProcess.Python,
        });
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal("gunicorn.conf.py:21: warning: post_fork: gunicorn setting 'post_fork' is a server hook (a Python function gunicorn calls); PyHost does not run it; ignored",
            Assert.Single(result.Diagnostics).ToString());
        Assert.Equal("hello:app", result.Config!.Apps[0].Module);
        Assert.Equal(2, result.Config.Listeners.Count);
    }
}
