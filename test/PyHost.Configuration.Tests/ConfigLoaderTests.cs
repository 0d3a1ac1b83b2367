using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests;

public class ConfigLoaderTests
{
    [Fact]
    public void FlagsWinOverTheEnvironmentWhichWinsOverTheFileWhichWinsOverDefaults()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "workers = 2\ntimeout = 40\nthreads = 3\nbind = '127.0.0.1:9001'\nmax_requests = 10\n");
        load.Variables["GUNICORN_CMD_ARGS"] = "--timeout 50 --threads 5 --max-requests 20";
        load.Variables["PYHOST_CMD_ARGS"] = "--threads 6";
        PyHostConfig config = load.LoadValid("hello:app", "--threads", "7", "-b", "127.0.0.1:9002");

        AppConfig app = config.Apps[0];
        Assert.Equal((2, 50, 7, 20), (app.Workers!.Value, (int)app.Timeout.TotalSeconds, app.Threads, app.MaxRequests));
        Assert.Equal("127.0.0.1:9002", Assert.Single(config.Listeners).Address.Text);
        Assert.Equal("gunicorn.conf.py:1", config.Provenance.Of("app.main.workers").Describe());
        Assert.Equal("env GUNICORN_CMD_ARGS (--timeout)", config.Provenance.Of("app.main.timeout").Describe());
        Assert.Equal("flag --threads", config.Provenance.Of("app.main.threads").Describe());
        Assert.Equal("env GUNICORN_CMD_ARGS (--max-requests)", config.Provenance.Of("app.main.max_requests").Describe());
        Assert.Equal("flag -b", config.Provenance.Of("listen[0].address").Describe());
        Assert.Equal("default", config.Provenance.Of("app.main.preload").Describe());
    }

    [Fact]
    public void PyhostCmdArgsComeAfterGunicornCmdArgs()
    {
        using var load = new LoadHelper();
        load.Variables["GUNICORN_CMD_ARGS"] = "--threads 5";
        load.Variables["PYHOST_CMD_ARGS"] = "--threads 6 -e 'GREETING=hello world'";
        PyHostConfig config = load.LoadValid();
        Assert.Equal(6, config.Apps[0].Threads);
        Assert.Equal("hello world", config.Apps[0].Env["GREETING"]);
        Assert.Equal(new EnvironmentOrigin("PYHOST_CMD_ARGS", "--threads"), config.Provenance.Of("app.main.threads"));
    }

    [Fact]
    public void PortIsTheDefaultBindAsInGunicorn()
    {
        using var load = new LoadHelper();
        load.Variables["PORT"] = "5000";
        PyHostConfig config = load.LoadValid();
        Assert.Equal("0.0.0.0:5000", Assert.Single(config.Listeners).Address.Text);
        Assert.Equal("env $PORT", config.Provenance.Of("listen[0].address").Describe());

        Assert.Equal("127.0.0.1:9000", Assert.Single(load.LoadValid("-b", "127.0.0.1:9000").Listeners).Address.Text);
        load.Files.Write("pyhost.toml", "[[listen]]\naddress = \"127.0.0.1:7000\"\n");
        Assert.Equal("127.0.0.1:7000", Assert.Single(load.LoadValid().Listeners).Address.Text);
    }

    [Fact]
    public void WebConcurrencyIsTheDefaultWorkerCount()
    {
        using var load = new LoadHelper();
        load.Variables["WEB_CONCURRENCY"] = "5";
        PyHostConfig config = load.LoadValid();
        Assert.Equal(5, config.Apps[0].Workers);
        Assert.Equal("env $WEB_CONCURRENCY", config.Provenance.Of("app.main.workers").Describe());
        Assert.Equal(3, load.LoadValid("-w", "3").Apps[0].Workers);
        load.Files.Write("pyhost.toml", "[app.main]\nworkers = 4\n");
        Assert.Equal(4, load.LoadValid().Apps[0].Workers);
    }

    [Fact]
    public void ABadWebConcurrencyIsAWarningAndTheCoresAreUsed()
    {
        using var load = new LoadHelper { ProcessorCount = 3 };
        load.Variables["WEB_CONCURRENCY"] = "lots";
        ConfigLoadResult result = load.Load();
        Assert.Equal(3, result.Config!.Apps[0].Workers);
        Assert.Equal("env $WEB_CONCURRENCY: warning: workers: $WEB_CONCURRENCY is 'lots', not a number of workers: ignored", Assert.Single(result.Diagnostics).ToString());
    }

    [Fact]
    public void PyhostTomlIsFoundWithoutAppAndLeftAloneWithApp()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.site]\nmodule = \"site:app\"\n");
        Assert.Equal("site", Assert.Single(load.LoadValid().Apps).Name);
        Assert.Equal("pyhost.toml", load.Load().ConfigFile);

        ConfigLoadResult withApp = load.Load("hello:app");
        Assert.Null(withApp.ConfigFile);
        Assert.Equal("hello:app", Assert.Single(withApp.Config!.Apps).Module);
    }

    [Fact]
    public void PyprojectToolPyhostIsFoundAfterPyhostToml()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyproject.toml", "[project]\nname = \"x\"\n");
        Assert.Null(load.Load().ConfigFile);
        load.Files.Write("pyproject.toml", "[project]\nname = \"x\"\n[tool.pyhost.app.main]\nmodule = \"x:app\"\n");
        Assert.Equal("pyproject.toml", load.Load().ConfigFile);
        Assert.Equal("x:app", load.LoadValid().Apps[0].Module);
        load.Files.Write("pyhost.toml", "[app.other]\nmodule = \"y:app\"\n");
        Assert.Equal("other", load.LoadValid().Apps[0].Name);
    }

    [Fact]
    public void GunicornConfPyIsReadByDefaultAsGunicornDoes()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "workers = 3\n");
        Assert.Equal(3, load.LoadValid("hello:app").Apps[0].Workers);
        Assert.Equal("gunicorn.conf.py", load.Load("hello:app").ConfigFile);
    }

    [Fact]
    public void FlagsOverrideTheOnlyAppOfATomlFile()
    {
        using var load = new LoadHelper();
        load.Files.MakeDirectory("public");
        load.Files.Write("site.toml", "[[listen]]\naddress = \"127.0.0.1:7000\"\n[app.blog]\nmodule = \"blog:app\"\nworkers = 2\n");
        PyHostConfig config = load.LoadValid("-c", "site.toml", "-w", "6", "--static", "/s=public");
        AppConfig app = Assert.Single(config.Apps);
        Assert.Equal(("blog", 6), (app.Name, app.Workers!.Value));
        Assert.Equal("flag -w", config.Provenance.Of("app.blog.workers").Describe());
        Assert.Equal("site.toml:4:1", config.Provenance.Of("app.blog.module").Describe());
        Assert.Equal(["/s", "/"], config.Sites[0].Routes.Select(route => route.Path));
        Assert.Equal("127.0.0.1:7000", config.Listeners[0].Address.Text);
        Assert.Equal("127.0.0.1:9", Assert.Single(load.LoadValid("-c", "site.toml", "-b", "127.0.0.1:9").Listeners).Address.Text);
    }

    [Fact]
    public void AnAppFlagWithSeveralAppsIsAnErrorWithAHint()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.a]\nmodule = \"a:app\"\n[app.b]\nmodule = \"b:app\"\n[[site]]\n[[site.route]]\napp = \"a\"\n[[site.route]]\npath = \"/b\"\napp = \"b\"\n");
        Assert.Equal("flag -w: error: workers: this sets one app's 'workers', but the config file defines 2 apps (a, b)\n  hint: set workers in the [app.NAME] table it belongs to",
            load.Errors("-w", "3"));
    }

    [Fact]
    public void StaticNeedsADefaultSiteWhenThereAreSeveral()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.a]\nmodule = \"a:app\"\n[[site]]\nhosts = [\"a.example\"]\n[[site.route]]\napp = \"a\"\n[[site]]\nhosts = [\"b.example\"]\n[[site.route]]\napp = \"a\"\n");
        Assert.Contains("--static adds routes to the default site", load.Errors("--static", "/s=public"));
    }

    [Fact]
    public void AMissingConfigFileIsAnError()
    {
        using var load = new LoadHelper();
        Assert.Equal("missing.toml: error: no such config file\n  hint: check the path given to -c/--config", load.Errors("-c", "missing.toml"));
        Assert.StartsWith("missing.py: error: no such config file", load.Errors("-c", "missing.py"));
    }

    [Fact]
    public void TheConfigFileMayBeNamedInTheEnvironment()
    {
        using var load = new LoadHelper();
        load.Files.Write("conf/site.toml", "[app.x]\nmodule = \"x:app\"\n");
        load.Variables["PYHOST_CMD_ARGS"] = "-c conf/site.toml";
        Assert.Equal("x", load.LoadValid().Apps[0].Name);
    }

    [Fact]
    public void AnUnclosedQuoteInTheEnvironmentIsAnErrorNamingTheVariable()
    {
        using var load = new LoadHelper();
        load.Variables["GUNICORN_CMD_ARGS"] = "-e 'A=1";
        Assert.Equal("env $GUNICORN_CMD_ARGS: error: cannot split $GUNICORN_CMD_ARGS into arguments: a ' quote is not closed\n  hint: quote values as a shell does", load.Errors());
    }

    [Fact]
    public void ProblemsFromEverySourceAreReportedTogether()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.main]\nworkers = \"x\"\n");
        load.Variables["GUNICORN_CMD_ARGS"] = "--timeout never";
        ConfigLoadResult result = load.Load("--threads", "0", "--bogus");
        Assert.Equal(["env GUNICORN_CMD_ARGS (--timeout)", "flag --bogus", "flag --threads", "pyhost.toml:2:11"],
            result.Errors.Select(error => error.Origin!.Describe()).Order());
    }
}
