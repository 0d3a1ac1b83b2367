using System.Text.RegularExpressions;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Tests.Toml;

public class ConfigPrinterTests
{
    /// <summary>The printed lines with runs of spaces made one, so alignment does not matter to the tests.</summary>
    private static string[] Lines(string printed) => printed.Split('\n').Select(line => Regex.Replace(line, " {2,}", " ")).ToArray();

    [Fact]
    public void EachValueSaysWhereItCameFrom()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", "timeout = 60\n");
        load.Variables["GUNICORN_CMD_ARGS"] = "--max-requests 500";
        load.Variables["PORT"] = "5000";
        CommandOutput output = ConfigCommands.Print(load.Request("hello:app", "-w", "4"));
        Assert.Equal(0, output.ExitStatus);
        string[] lines = Lines(output.StandardOutput);
        Assert.Contains("[app.main]", lines);
        Assert.Contains("module = \"hello:app\" # from: argument APP", lines);
        Assert.Contains("workers = 4 # from: flag -w", lines);
        Assert.Contains("timeout = \"1m\" # from: gunicorn.conf.py:1", lines);
        Assert.Contains("max_requests = 500 # from: env GUNICORN_CMD_ARGS (--max-requests)", lines);
        Assert.Contains("threads = 1 # from: default", lines);
        Assert.Contains("graceful_timeout = \"30s\" # from: default (server.graceful_timeout)", lines);
        Assert.Contains("# user # not set: the server's user", lines);
        Assert.Contains("address = \"0.0.0.0:5000\" # from: env $PORT", lines);
        Assert.Contains("app = \"main\" # from: default (the only app)", lines);
        Assert.Contains("max_request_line = \"8190B\" # from: default", lines);
    }

    [Fact]
    public void ThePrintedConfigReadsBackToTheSameConfig()
    {
        using var load = new LoadHelper();
        load.Files.MakeDirectory("public");
        load.Files.Write("pyhost.toml", """
            [server]
            umask = 0o027
            forwarded_headers = "none"
            [[listen]]
            address = "uwsgi+unix:run/site.sock"
            mode = 0o660
            [[listen]]
            address = "0.0.0.0:443"
            tls = "files"
            [[site]]
            hosts = ["example.com", "*.example.com"]
            tls = { certificate = "a.pem", key = "a.key" }
            hsts = true
            limits = { max_body_size = "10MiB" }
            compression = { codings = ["gzip", "br"], levels = { gzip = 7 } }
            error_pages = { 404 = "404.html", 50x = "50x.html" }
              [[site.route]]
              path = "/old"
              methods = ["GET"]
              redirect = { status = 308, location = "https://{host}/new{uri}" }
              [[site.route]]
              path = "/ping"
              respond = { headers = { "Content-Type" = "text/plain", X-Test = "1" }, body = "pong\n\"quoted\"" }
              [[site.route]]
              path = "/static"
              static = "public"
              index = "index.html"
              precompressed = true
              cache_control = [{ match = "hashed", value = "public, max-age=31536000, immutable" }, { match = "*.html", value = "no-cache" }]
              [[site.route]]
              app = "site"
              response_buffering = false
            [app.site]
            pipeline_age = "2ms"
            max_boot_failures = 3
            module = "site:app"
            env = { A = "1", "WITH SPACE" = "x" }
            max_worker_memory = "300MiB"
            workers_max = 8
            """);
        string first = ConfigCommands.Print(load.Request()).StandardOutput;
        load.Files.Write("printed.toml", first);
        CommandOutput second = ConfigCommands.Print(load.Request("-c", "printed.toml"));
        Assert.Equal("", second.StandardError);
        Assert.Equal(WithoutComments(first), WithoutComments(second.StandardOutput));
    }

    private static string WithoutComments(string printed) =>
        string.Join("\n", Lines(printed).Select(line => Regex.Replace(line, " # (from|not set).*$", "")).Where(line => !line.StartsWith('#')));

    [Fact]
    public void TheDefaultsAreFilledIn()
    {
        using var load = new LoadHelper();
        string[] lines = Lines(ConfigCommands.Print(load.Request()).StandardOutput);
        foreach (string expected in new[]
        {
            "[server]", "graceful_timeout = \"30s\" # from: default", "max_queued_requests = 2048 # from: default",
            "[log]", "level = \"info\" # from: default", "[[listen]]", "address = \"127.0.0.1:8000\" # from: default",
            "[listen.limits]", "header_timeout = \"1m\" # from: default", "[[site]]", "[[site.route]]", "path = \"/\" # from: default",
            "[app.main]", "workers = 2 # from: default (the number of CPU cores)", "# module # not set: found in chdir",
        })
        {
            Assert.Contains(expected, lines);
        }
    }

    [Fact]
    public void ErrorsPrintNothingAndExitWithOne()
    {
        using var load = new LoadHelper();
        CommandOutput output = ConfigCommands.Print(load.Request("-w", "none"));
        Assert.Equal(1, output.ExitStatus);
        Assert.Equal("", output.StandardOutput);
        Assert.Equal("flag -w: error: app.main.workers: expected a whole number from 1 to 4096, not 'none'\n", output.StandardError);
    }

    [Fact]
    public void StringsAreQuotedAsTomlBasicStrings() =>
        Assert.Equal("\"a\\\"b\\\\c\\nd\\u0001\"", TomlDocumentReader.Quote("a\"b\\c\nd\u0001"));

    [Fact]
    public void ProvenanceFallsBackToDefault()
    {
        var provenance = new ConfigProvenance(new Dictionary<string, SettingOrigin> { ["site[0]"] = new FileOrigin("f", 3, 1) });
        Assert.Equal(DefaultOrigin.Instance, provenance.Of("site[0].hosts"));
        Assert.Equal(new FileOrigin("f", 3, 1), provenance.Locate("site[0].route[2].app"));
    }
}
