using System.Text.RegularExpressions;
using PyHost.Configuration.CommandLine;
using PyHost.Configuration.Gunicorn;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Gunicorn;

/// <summary>
/// PyHost against Debian's gunicorn (python3-gunicorn): the same config file, environment and flags must give the
/// same settings, and every setting gunicorn knows must be either mapped or reported as missing.
/// </summary>
public class DebianGunicornTests
{
    private const string ConfigFile = """
        import ssl
        bind = ["127.0.0.1:9001", "127.0.0.1:9002"]
        workers = 2 * 3
        threads = 3
        timeout = 40
        graceful_timeout = 25
        keepalive = 7
        max_requests = 500
        max_requests_jitter = 25
        preload_app = True
        raw_env = ["A=1", "B=x y"]
        umask = 0o027
        pidfile = "site.pid"
        accesslog = "-"
        errorlog = "error.log"
        loglevel = "warning"
        forwarded_allow_ips = "127.0.0.1,10.0.0.0/8"
        limit_request_line = 2048
        limit_request_fields = 40
        limit_request_field_size = 4096
        certfile = "site.pem"
        keyfile = "site.key"
        ca_certs = "ca.pem"
        cert_reqs = ssl.CERT_OPTIONAL
        backlog = 256
        proc_name = "site"
        """;

    /// <summary>gunicorn --print-config's "name = value" lines.</summary>
    private static Dictionary<string, string> GunicornPrintConfig(LoadHelper load, string[] flags)
    {
        var environment = new Dictionary<string, string>(load.Variables);
        var (exitCode, output, error) = PythonProcess.Run(load.Files.Directory, environment, ["-m", "gunicorn", "--print-config", "-c", "gunicorn.conf.py", .. flags, "hello:app"]);
        Assert.True(exitCode == 0, $"gunicorn --print-config exited {exitCode}:\n{output}\n{error}");
        return output.Split('\n').Select(line => Regex.Match(line, @"^(\w+)\s+= (.*)$")).Where(match => match.Success)
            .ToDictionary(match => match.Groups[1].Value, match => match.Groups[2].Value.Trim());
    }

    [Fact]
    public void TheSameFileEnvironmentAndFlagsGiveTheSameSettingsAsDebiansGunicorn()
    {
        using var load = new LoadHelper();
        load.Files.Write("gunicorn.conf.py", ConfigFile);
        load.Files.Write("hello.py", "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'hi']\n");
        load.Variables["GUNICORN_CMD_ARGS"] = "--timeout 50 --threads 5 --max-requests 600";
        string[] flags = ["--threads", "7", "--keep-alive", "9"];
        Dictionary<string, string> gunicorn = GunicornPrintConfig(load, flags);
        PyHostConfig config = load.LoadValid(["hello:app", .. flags]);

        AppConfig app = config.Apps[0];
        ListenerConfig listener = config.Listeners[0];
        string Quoted(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(item => $"'{item}'")) + "]";
        var pyhost = new Dictionary<string, string>
        {
            ["bind"] = Quoted(config.Listeners.Select(one => one.Address.Text)),
            ["workers"] = $"{app.Workers}",
            ["threads"] = $"{app.Threads}",
            ["timeout"] = $"{app.Timeout.TotalSeconds}",
            ["graceful_timeout"] = $"{config.Server.GracefulTimeout.TotalSeconds}",
            ["keepalive"] = $"{listener.Limits.KeepaliveTimeout!.Value.TotalSeconds}",
            ["max_requests"] = $"{app.MaxRequests}",
            ["max_requests_jitter"] = $"{app.MaxRequestsJitter}",
            ["preload_app"] = app.Preload ? "True" : "False",
            ["raw_env"] = Quoted(app.Env.Select(pair => $"{pair.Key}={pair.Value}")),
            ["umask"] = $"{config.Server.Umask}",
            ["pidfile"] = Path.GetFileName(config.Server.PidFile!),
            ["accesslog"] = config.Log.AccessLog!,
            ["errorlog"] = Path.GetFileName(config.Log.ErrorLog),
            ["loglevel"] = config.Log.Level.ToString().ToLowerInvariant(),
            ["forwarded_allow_ips"] = Quoted(config.Server.ForwardedAllowIps),
            ["limit_request_line"] = $"{listener.Limits.MaxRequestLine!.Value.Bytes}",
            ["limit_request_fields"] = $"{listener.Limits.MaxHeaderCount}",
            ["limit_request_field_size"] = $"{listener.Limits.MaxHeaderSize!.Value.Bytes}",
            ["certfile"] = Path.GetFileName(listener.Certificate!),
            ["keyfile"] = Path.GetFileName(listener.Key!),
            ["ca_certs"] = Path.GetFileName(listener.ClientCa!),
            ["cert_reqs"] = $"{(int)listener.ClientCertificates}",
            ["backlog"] = $"{listener.Backlog}",
            ["proc_name"] = config.Server.Name!,
        };
        foreach (var (name, value) in pyhost)
        {
            Assert.True(gunicorn.ContainsKey(name), $"gunicorn --print-config has no {name}");
            Assert.True(value == gunicorn[name], $"{name}: PyHost has {value}, gunicorn has {gunicorn[name]}");
        }
    }

    [Fact]
    public void EverySettingDebiansGunicornKnowsIsMappedOrReportedAsMissing()
    {
        using var files = new TestFiles();
        var (exitCode, output, error) = PythonProcess.Run(files.Directory, null, "-c", "import gunicorn.config as c\nfor s in c.KNOWN_SETTINGS: print(s.name)");
        Assert.True(exitCode == 0, error);
        string[] known = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(known.Length > 80, $"only {known.Length} settings: is python3-gunicorn installed?");
        var covered = ServeSettings.All.Select(setting => setting.GunicornName).OfType<string>().Concat(GunicornUnsupported.All.Select(setting => setting.Name)).ToHashSet();
        Assert.DoesNotContain(known, name => !covered.Contains(name));
    }

    [Fact]
    public void EveryGunicornFlagIsKnownToTheArgumentParser()
    {
        using var files = new TestFiles();
        var (exitCode, output, error) = PythonProcess.Run(files.Directory, null, "-c", "import gunicorn.config as c\nfor s in c.KNOWN_SETTINGS:\n    for f in (s.cli or []): print(f)");
        Assert.True(exitCode == 0, error);
        string[] flags = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(flags, flag => ServeSettings.ByFlag(flag) is null && GunicornUnsupported.ByFlag(flag) is null);
    }
}
