using PyHost.Configuration.Model;
using static PyHost.Configuration.Tests.Toml.TomlTestRead;

namespace PyHost.Configuration.Tests.Model;

public class ProxyConfigTests
{
    private const string Balanced = """
        [upstream.backend]
        servers = ["http://10.0.0.1:8000", { address = "10.0.0.2:8000", weight = 3, max_connections = 50 }, "unix:run/app.sock"]
        policy = "least_requests"
        health_check = { path = "/_pyhost/ready", interval = "2s", timeout = "1s", healthy_threshold = 2, unhealthy_threshold = 3 }
        max_fails = 2
        fail_timeout = "30s"
        unhealthy_status = [500, 502, 503, 504]
        retries = 1
        connect_timeout = "3s"
        response_timeout = "2m"
        preserve_host = false
        forwarded_headers = "both"

        [[site]]
          [[site.route]]
          path = "/api"
          proxy = "backend"
          strip_prefix = true
        """;

    [Fact]
    public void AnUpstreamAndAProxyRouteNamingItAreRead()
    {
        PyHostConfig config = ReadValid(Balanced);
        UpstreamConfig upstream = Assert.Single(config.Upstreams);
        Assert.Equal("backend", upstream.Name);
        Assert.Equal(LoadBalancingPolicy.LeastRequests, upstream.Policy);
        Assert.Equal(["http://10.0.0.1:8000", "http://10.0.0.2:8000", "http://localhost:80"], upstream.Servers.Select(server => server.Address.UrlPrefix));
        Assert.Equal("/srv/run/app.sock", upstream.Servers[2].Address.UnixSocketPath);
        Assert.Equal((3, 50), (upstream.Servers[1].Weight, upstream.Servers[1].MaxConnections));
        Assert.Equal(new HealthCheckConfig { Path = "/_pyhost/ready", Interval = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(1) }, upstream.HealthCheck);
        Assert.Equal((2, TimeSpan.FromSeconds(30), 1), (upstream.MaxFails, upstream.FailTimeout, upstream.Retries));
        Assert.Equal([500, 502, 503, 504], upstream.UnhealthyStatus);
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2)), (upstream.ConnectTimeout, upstream.ResponseTimeout));
        Assert.False(upstream.PreserveHost);
        Assert.Equal(ForwardedHeadersToSend.Both, upstream.ForwardedHeaders);
        RouteConfig route = config.Sites[0].Routes[0];
        Assert.Equal(new ProxyTarget { Upstream = "backend" }, route.Target);
        Assert.True(route.StripPrefix);
        Assert.Same(upstream, ((ProxyTarget)route.Target!).Resolve(config.Upstreams));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000", "http://127.0.0.1:9000")]
    [InlineData("127.0.0.1:9000", "http://127.0.0.1:9000")]
    [InlineData("https://app.internal", "https://app.internal:443")]
    [InlineData("http://[::1]:9000/", "http://[::1]:9000")]
    public void AProxyRouteMayNameOneServer(string written, string urlPrefix)
    {
        PyHostConfig config = ReadValid($"[[site]]\n[[site.route]]\nproxy = \"{written}\"\n");
        var target = (ProxyTarget)config.Sites[0].Routes[0].Target!;
        UpstreamConfig upstream = target.Resolve(config.Upstreams)!;
        Assert.Equal(urlPrefix, Assert.Single(upstream.Servers).Address.UrlPrefix);
        Assert.Equal(new UpstreamConfig().MaxFails, upstream.MaxFails);
    }

    [Theory]
    [InlineData("proxy = \"ftp://10.0.0.1:21\"", "site[0].route[0].proxy: 'ftp://10.0.0.1:21': an upstream server speaks http:// or https://")]
    [InlineData("proxy = \"http://10.0.0.1:8000/app\"", "without a path or user")]
    [InlineData("proxy = \"http://10.0.0.1:99999\"", "'99999' is not a port number")]
    [InlineData("proxy = \"unix:\"", "a unix socket address needs a path")]
    [InlineData("proxy = 9000", "expected an upstream name, or a server")]
    [InlineData("app = \"main\"\nstrip_prefix = true", "site[0].route[0].strip_prefix: strip_prefix applies to proxy routes only")]
    public void AWrongProxyRouteIsAnErrorAtItsLine(string route, string expected) =>
        Assert.Contains(expected, OneError($"[[site]]\n[[site.route]]\n{route}\n"));

    [Theory]
    [InlineData("[upstream.b]\npolicy = \"random\"\n", "pyhost.toml:1:1: error: upstream.b: an upstream needs servers")]
    [InlineData("[upstream.b]\nservers = []\n", "upstream.b.servers: an upstream needs at least one server")]
    [InlineData("[upstream.b]\nservers = [{ weight = 2 }]\n", "upstream.b.servers[0]: a server needs an address")]
    [InlineData("[upstream.b]\nservers = [\"http://a:1\"]\npolicy = \"least_conn\"\n", "\"least_conn\" is not one of \"round_robin\", \"least_requests\"")]
    [InlineData("[upstream.b]\nservers = [\"http://a:1\"]\nsticky_cookie = \"s\"\n", "sticky_cookie is used by policy = \"cookie\" only")]
    [InlineData("[upstream.b]\nservers = [\"http://a:1\"]\npolicy = \"cookie\"\nsticky_cookie = \"a b\"\n", "\"a b\" is not a cookie name")]
    [InlineData("[upstream.b]\nservers = [\"http://a:1\"]\nunhealthy_status = [404]\n", "404 is out of range: expected a whole number from 500 to 599")]
    [InlineData("[upstream.b]\nservers = [\"http://a:1\"]\nhealth_check = { path = \"ready\" }\n", "\"ready\" is not a request path")]
    [InlineData("[upstream.b]\nservers = [\"http://a:1\"]\nhealth_check = { intervall = \"1s\" }\n", "unknown key 'intervall' in upstream.b.health_check")]
    public void AWrongUpstreamIsAnErrorAtItsLine(string text, string expected) =>
        Assert.Contains(expected, OneError(text));

    [Fact]
    public void ARouteNamingAnUnknownUpstreamIsAnErrorWithASuggestion()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[upstream.backends]\nservers = [\"http://127.0.0.1:9000\"]\n[[site]]\n[[site.route]]\nproxy = \"backend\"\n");
        Assert.Contains("pyhost.toml:5:1: error: site[0].route[0].proxy: route names upstream 'backend', which is not defined\n  hint: did you mean 'backends'?", load.Errors());
    }

    [Fact]
    public void AnUnusedUpstreamAndATwiceListedServerAreReported()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[upstream.spare]\nservers = [\"http://127.0.0.1:9000\", \"127.0.0.1:9000\"]\n[[site]]\n[[site.route]]\nproxy = \"http://127.0.0.1:9001\"\n");
        ConfigLoadResult result = load.Load();
        Assert.Contains(result.Diagnostics, d => d.ToString().Contains("warning: upstream.spare: no route uses upstream 'spare'", StringComparison.Ordinal));
        Assert.Contains(result.Diagnostics, d => d.ToString().Contains("error: upstream.spare.servers: '127.0.0.1:9000' is listed twice", StringComparison.Ordinal));
    }

    [Fact]
    public void ThePrintedConfigReadsBackToTheSameUpstream()
    {
        PyHostConfig config = ReadValid(Balanced);
        string printed = PyHost.Configuration.Toml.ConfigPrinter.Print(config);
        PyHostConfig again = ReadValid(printed);
        IReadOnlyList<int> none = [];
        Assert.Equal(config.Upstreams[0] with { Servers = [], UnhealthyStatus = none }, again.Upstreams[0] with { Servers = [], UnhealthyStatus = none });
        Assert.Equal(config.Upstreams[0].UnhealthyStatus, again.Upstreams[0].UnhealthyStatus);
        Assert.Equal(config.Upstreams[0].Servers, again.Upstreams[0].Servers);
        Assert.Equal(config.Sites[0].Routes[0].Target, again.Sites[0].Routes[0].Target);
    }

    [Theory]
    [InlineData("127.0.0.1:8000", true)]
    [InlineData("localhost:8000", true)]
    [InlineData("[::1]:8000", true)]
    [InlineData("unix:/run/site.sock", true)]
    [InlineData("0.0.0.0:8000", false)]
    [InlineData("[::]:8000", false)]
    public void HealthEndpointsAreOnByDefaultOnlyWhereNoStrangerCanReachThem(string address, bool served)
    {
        PyHostConfig config = ReadValid($"[[listen]]\naddress = \"{address}\"\n");
        Assert.Equal(served, config.Listeners[0].ServesHealthEndpoints);
        Assert.True(ReadValid($"[[listen]]\naddress = \"{address}\"\nhealth_endpoints = true\n").Listeners[0].ServesHealthEndpoints);
        Assert.False(ReadValid($"[[listen]]\naddress = \"{address}\"\nhealth_endpoints = false\n").Listeners[0].ServesHealthEndpoints);
    }

    [Fact]
    public void DrainDelayIsAServerSetting() =>
        Assert.Equal(TimeSpan.FromSeconds(5), ReadValid("[server]\ndrain_delay = \"5s\"\n").Server.DrainDelay);
}
