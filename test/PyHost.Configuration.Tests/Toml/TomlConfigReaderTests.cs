using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;
using static PyHost.Configuration.Tests.Toml.TomlTestRead;

namespace PyHost.Configuration.Tests.Toml;

public class TomlConfigReaderTests
{
    private const string Full = """
        [server]
        graceful_timeout = "45s"
        max_queued_requests = 100
        forwarded_allow_ips = ["10.0.0.0/8", "unix"]

        [log]
        level = "warning"
        access_log = "logs/access.log"
        access_format = "json"

        [[listen]]
        address = "0.0.0.0:443"
        tls = "files"
        certificate = "certs/site.pem"
        key = "certs/site.key"
        proxy_protocol = "v2"
        limits = { header_timeout = "10s", max_connections = 500 }

        [[listen]]
        address = "uwsgi+unix:run/site.sock"
        mode = 0o660

        [[site]]
        hosts = ["example.com", "*.example.com"]
        hsts = { max_age = "30d", include_subdomains = true }

          [[site.route]]
          path = "/static/"
          static = "public"

          [[site.route]]
          path = "/old"
          redirect = { status = 301, location = "https://{host}/new{path}" }

          [[site.route]]
          path = "/ping"
          methods = ["GET", "HEAD"]
          respond = { status = 200, headers = { "Content-Type" = "text/plain" }, body = "pong" }

          [[site.route]]
          app = "blog"
          max_body_size = "10MiB"
          request_buffering = true

        [app.blog]
        module = "blog.wsgi:application"
        chdir = "blog"
        env = { DJANGO_SETTINGS_MODULE = "blog.settings" }
        workers = 3
        workers_max = 6
        timeout = "1m"
        max_worker_memory = "512MiB"
        threads = 4
        """;

    [Fact]
    public void ReadsEveryKindOfTableIntoTheModel()
    {
        PyHostConfig config = ReadValid(Full);
        Assert.Equal(TimeSpan.FromSeconds(45), config.Server.GracefulTimeout);
        Assert.Equal(["10.0.0.0/8", "unix"], config.Server.ForwardedAllowIps);
        Assert.Equal(LogLevel.Warning, config.Log.Level);
        Assert.Equal("/srv/logs/access.log", config.Log.AccessLog);

        ListenerConfig tls = config.Listeners[0];
        Assert.Equal(ListenerTls.Files, tls.Tls);
        Assert.Equal("/srv/certs/site.pem", tls.Certificate);
        Assert.Equal(ProxyProtocol.V2, tls.ProxyProtocol);
        Assert.Equal(TimeSpan.FromSeconds(10), tls.Limits.HeaderTimeout);
        Assert.Equal(500, tls.Limits.MaxConnections);
        Assert.Null(tls.Limits.MaxBodySize);
        Assert.Equal(ListenerProtocol.Uwsgi, config.Listeners[1].Address.Protocol);
        Assert.Equal("/srv/run/site.sock", config.Listeners[1].Address.UnixSocketPath);
        Assert.Equal(0x1B0, config.Listeners[1].Mode);

        SiteConfig site = Assert.Single(config.Sites);
        Assert.Equal(["example.com", "*.example.com"], site.Hosts.Select(host => host.Text));
        Assert.Equal("max-age=2592000; includeSubDomains", site.Hsts!.HeaderValue);
        Assert.Equal("/static", site.Routes[0].Path);
        Assert.Equal(new StaticTarget("/srv/public"), site.Routes[0].Target);
        var redirect = Assert.IsType<RedirectTarget>(site.Routes[1].Target);
        Assert.Equal(301, redirect.Status);
        Assert.Equal("https://h/new/x", redirect.Location.Expand("http", "h", "/x", ""));
        var respond = Assert.IsType<RespondTarget>(site.Routes[2].Target);
        Assert.Equal("pong", respond.Body);
        Assert.Equal("text/plain", respond.Headers["Content-Type"]);
        Assert.Equal(["GET", "HEAD"], site.Routes[2].Methods!);
        Assert.Equal("/", site.Routes[3].Path);
        Assert.Equal(new AppTarget("blog"), site.Routes[3].Target);
        Assert.Equal(10L << 20, site.Routes[3].MaxBodySize!.Value.Bytes);

        AppConfig app = Assert.Single(config.Apps);
        Assert.Equal("blog", app.Name);
        Assert.Equal("/srv/blog", app.Chdir);
        Assert.Equal(3, app.Workers);
        Assert.Equal(TimeSpan.FromMinutes(1), app.Timeout);
        Assert.Equal(512L << 20, app.MaxWorkerMemory!.Value.Bytes);
        Assert.Equal("blog.settings", app.Env["DJANGO_SETTINGS_MODULE"]);
    }

    [Fact]
    public void EveryKeyReadKnowsItsLine()
    {
        PyHostConfig config = ReadValid(Full);
        Assert.Equal(new FileOrigin("pyhost.toml", 2, 1), config.Provenance.Of("server.graceful_timeout"));
        Assert.Equal(new FileOrigin("pyhost.toml", 49, 1), config.Provenance.Of("app.blog.workers"));
        Assert.Equal(new FileOrigin("pyhost.toml", 41, 3), config.Provenance.Of("site[0].route[3].app"));
        Assert.Equal(DefaultOrigin.Instance, config.Provenance.Of("app.blog.preload"));
    }

    [Fact]
    public void AnUnknownKeyIsAnErrorWithTheNearestKnownKey()
    {
        string error = OneError("[app.main]\nmodule = \"app:app\"\nworker = 3\n");
        Assert.Equal("pyhost.toml:3:1: error: app.main.worker: unknown key 'worker' in app.main\n  hint: did you mean 'workers'?", error);
    }

    [Fact]
    public void AnUnknownKeyFarFromAnyListsTheKnownKeys()
    {
        string error = OneError("[log]\ncolour = true\n");
        Assert.Contains("unknown key 'colour' in log", error);
        Assert.Contains("hint: the keys of [log] are: level, error_log, access_log, access_format", error);
    }

    [Theory]
    [InlineData("[app.main]\nworkers = \"four\"\n", "pyhost.toml:2:11: error: app.main.workers: expected a whole number from 1 to 4096, got a string \"four\"")]
    [InlineData("[app.main]\nworkers = 0\n", "app.main.workers: 0 is out of range: expected a whole number from 1 to 4096")]
    [InlineData("[app.main]\ntimeout = \"30 seconds\"\n", "app.main.timeout: '30 seconds' is not a duration")]
    [InlineData("[app.main]\nmax_worker_memory = \"1 gigabyte\"\n", "app.main.max_worker_memory: \"1 gigabyte\": 'gigabyte' is not a size unit")]
    [InlineData("[log]\nlevel = \"verbose\"\n", "log.level: \"verbose\" is not one of \"debug\", \"info\", \"warning\", \"error\", \"critical\"")]
    [InlineData("[log]\nlevel = \"warn\"\n", "hint: did you mean \"warning\"?")]
    [InlineData("[app.main]\npreload = \"yes\"\n", "app.main.preload: expected true or false, got a string \"yes\"")]
    [InlineData("[[site]]\nhosts = \"example.com\"\n[[site.route]]\napp = \"x\"\n", "hint: write a list in brackets")]
    [InlineData("[app.main]\nmodule = \"my-app:app\"\n", "\"my-app:app\" is not an app spec")]
    [InlineData("[[listen]]\naddress = 8000\n", "hint: an address is a string with a host")]
    [InlineData("[acme]\ndirectory = \"http://acme.example/dir\"\n", "acme.directory: 'http://acme.example/dir' is not an https:// URL")]
    [InlineData("[acme]\nemail = \"mailto:a@example.com\"\n", "hint: write the address alone")]
    [InlineData("[acme]\nchallenges = [\"dns-01\"]\n", "acme.challenges[0]: \"dns-01\" is not one of \"http-01\", \"tls-alpn-01\"")]
    [InlineData("[acme]\nchallenges = []\n", "acme.challenges: at least one challenge type is needed")]
    [InlineData("[[listen]]\naddress = \"0.0.0.0:8000\"\nmode = 0o660\n", "'mode' applies to unix sockets only")]
    [InlineData("[[listen]]\naddress = \"0.0.0.0:8000\"\nclient_ca = \"ca.pem\"\n", "'client_ca' is given but tls is \"none\"")]
    [InlineData("[[listen]]\ntls = \"files\"\n", "a [[listen]] needs an address")]
    [InlineData("[[site]]\nhosts = [\"example.com:80\"]\n[[site.route]]\napp = \"x\"\n", "a host name has no port")]
    [InlineData("[[site]]\n[[site.route]]\npath = \"blog\"\napp = \"x\"\n", "does not start with '/'")]
    [InlineData("[[site]]\n[[site.route]]\nmethods = [\"get\"]\napp = \"x\"\n", "methods are upper case")]
    [InlineData("[[site]]\n[[site.route]]\nredirect = { status = 200, location = \"/\" }\n", "expected one of 301, 302, 303, 307, 308")]
    [InlineData("[[site]]\n[[site.route]]\nredirect = { location = \"https://{hots}/\" }\n", "unknown placeholder {hots}; did you mean {host}?")]
    [InlineData("[[site]]\n[[site.route]]\nredirect = { status = 301 }\n", "a redirect needs a location")]
    [InlineData("[[site]]\ntls = { certificate = \"a.pem\" }\n[[site.route]]\napp = \"x\"\n", "tls needs 'key'")]
    [InlineData("[app.\"my app\"]\nmodule = \"a:b\"\n", "'my app' is not a usable name")]
    [InlineData("[app.main]\nenv = { PORT = 8000 }\n", "hint: quote the value")]
    public void WrongValuesAreErrorsNamingTheKeyAndWhatWasExpected(string text, string expected) =>
        Assert.Contains(expected, OneError(text));

    [Fact]
    public void ARouteWithoutATargetIsAnError() =>
        Assert.Contains("site[0].route[0]: a route needs a target: one of app, static, redirect or respond", OneError("[[site]]\n[[site.route]]\npath = \"/\"\n"));

    [Fact]
    public void ARouteWithTwoTargetsIsAnErrorAtTheSecond() =>
        Assert.Equal("pyhost.toml:4:1: error: site[0].route[0]: a route takes one target, but this one has app and static\n  hint: split it into two routes with different paths or methods",
            OneError("[[site]]\n[[site.route]]\napp = \"main\"\nstatic = \"public\"\n"));

    [Fact]
    public void AProxyRouteIsAnErrorUntilTheReverseProxyLands()
    {
        string error = OneError("[[site]]\n[[site.route]]\nproxy = \"http://127.0.0.1:9000\"\n");
        Assert.Contains("pyhost.toml:3:9: error: site[0].route[0].proxy: proxy routes are not supported yet", error);
    }

    [Fact]
    public void AllProblemsAreReportedTogether()
    {
        var (config, diagnostics) = Read("""
            [server]
            graceful = 3

            [app.main]
            workers = -1
            timeout = "soon"

            [[site]]
            [[site.route]]
            """);
        Assert.Null(config);
        Assert.Equal(
            ["pyhost.toml:2:1", "pyhost.toml:5:11", "pyhost.toml:6:11", "pyhost.toml:9:1"],
            diagnostics.Select(diagnostic => diagnostic.Origin!.Describe()));
    }

    [Fact]
    public void PyprojectTomlIsReadFromItsToolPyhostTable()
    {
        var (config, diagnostics) = Read("[project]\nname = \"x\"\n\n[tool.pyhost.app.main]\nmodule = \"x:app\"\nworkers = 2\n\n[tool.black]\nline-length = 100\n", "pyproject.toml");
        Assert.Empty(diagnostics);
        Assert.Equal(2, Assert.Single(config!.Apps).Workers);
        Assert.Equal(new FileOrigin("pyproject.toml", 6, 1), config.Provenance.Of("app.main.workers"));
    }

    [Fact]
    public void APyprojectWithoutToolPyhostSaysSo()
    {
        var (config, diagnostics) = Read("[project]\nname = \"x\"\n", "pyproject.toml");
        Assert.Null(config);
        Assert.Contains("has no [tool.pyhost] table", Assert.Single(diagnostics).Message);
    }

    [Fact]
    public void RelativePathsAreRelativeToTheFilesDirectory()
    {
        using var files = new TestFiles();
        string path = files.Write("conf/pyhost.toml", "[app.main]\nchdir = \"../site\"\npythonpath = [\"lib\"]\npaste = \"prod.ini#web\"\n");
        var diagnostics = new DiagnosticBag();
        PyHostConfig config = TomlConfigReader.ReadFile(path, diagnostics)!;
        AppConfig app = config.Apps[0];
        Assert.Equal(Path.Combine(files.Directory, "site"), app.Chdir);
        Assert.Equal([Path.Combine(files.Directory, "conf", "lib")], app.PythonPath);
        Assert.Equal(new PasteSpec(Path.Combine(files.Directory, "conf", "prod.ini"), "web"), app.Paste);
    }

    [Fact]
    public void SiteTlsIsAutoOrFiles()
    {
        PyHostConfig config = ReadValid("[[site]]\nhosts = [\"a.example\"]\ntls = \"auto\"\n[[site.route]]\napp = \"x\"\n[[site]]\nhosts = [\"b.example\"]\ntls = { certificate = \"b.pem\", key = \"b.key\" }\n[[site.route]]\napp = \"x\"\n");
        Assert.True(config.Sites[0].Tls!.IsAuto);
        Assert.Equal("/srv/b.pem", config.Sites[1].Tls!.Certificate);
        Assert.Contains("expected \"auto\" or", OneError("[[site]]\ntls = \"yes\"\n[[site.route]]\napp = \"x\"\n"));
    }
}
