using PyHost.Configuration.Model;
using static PyHost.Configuration.Tests.Toml.TomlTestRead;

namespace PyHost.Configuration.Tests.Model;

public class AccessConfigTests
{
    private const string Guarded = """
        [[site]]
        basic_auth = { htpasswd = "users.htpasswd", realm = "Staff only" }
        allow = ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]
        deny = ["10.0.0.5"]
        rate_limit = { rate = "10r/s", burst = 20, nodelay = true }

          [[site.route]]
          path = "/"
          app = "main"

          [[site.route]]
          path = "/public"
          app = "main"
          basic_auth = false
          allow = []
          rate_limit = { rate = "600r/m", key = "header:X-Api-Key", max_concurrent = 4, max_keys = 5000 }

          [[site.route]]
          path = "/open"
          app = "main"
          rate_limit = false

        [app.main]
        module = "a:b"
        """;

    [Fact]
    public void SiteRulesAreInheritedAndARouteReplacesEachOneItSets()
    {
        PyHostConfig config = ReadValid(Guarded);
        SiteConfig site = config.Sites[0];
        Assert.Equal(new BasicAuthConfig { Htpasswd = "/srv/users.htpasswd", Realm = "Staff only" }, site.Access.BasicAuth);
        Assert.Equal(new RateLimitConfig { Rate = new RequestRate(10, TimeSpan.FromSeconds(1)), Burst = 20, NoDelay = true }, site.Access.RateLimit);

        AccessConfig root = site.Routes[0].Access.Over(site.Access);
        Assert.Equal(site.Access.BasicAuth, root.BasicAuth);
        Assert.Equal(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"], root.Allow);
        Assert.Equal(["10.0.0.5"], root.Deny);
        Assert.Same(site.Access.RateLimit, root.RateLimit);

        AccessConfig open = site.Routes[1].Access.Over(site.Access);
        Assert.Null(open.BasicAuth);
        Assert.Empty(open.Allow!);
        Assert.Equal(["10.0.0.5"], open.Deny);
        Assert.Equal(new RateLimitConfig { Rate = new RequestRate(600, TimeSpan.FromMinutes(1)), Key = new RateLimitKey(RateLimitKeyKind.Header, "X-Api-Key"), MaxConcurrent = 4, MaxKeys = 5000 }, open.RateLimit);
        Assert.Equal(10, open.RateLimit!.Rate!.Value.PerSecond);

        Assert.Null(site.Routes[2].Access.Over(site.Access).RateLimit);
        Assert.True(AccessConfig.None.Over(AccessConfig.None).IsEmpty);
    }

    [Theory]
    [InlineData("basic_auth = { realm = \"x\" }", "site[0].basic_auth: basic_auth needs an htpasswd file")]
    [InlineData("basic_auth = true", "site[0].basic_auth: expected a table such as { htpasswd = \"users.htpasswd\", realm = \"Staff\" }, or false, got a boolean true")]
    [InlineData("allow = [\"10.0.0.1/8\"]", "site[0].allow[0]: \"10.0.0.1/8\" is not an IP address or CIDR range")]
    [InlineData("deny = [\"10.1\"]", "site[0].deny[0]: \"10.1\" is not an IP address or CIDR range")]
    [InlineData("rate_limit = { rate = \"10/sec\" }", "site[0].rate_limit.rate: \"10/sec\": a rate is a number of requests per second, minute or hour")]
    [InlineData("rate_limit = { rate = 10 }", "give the unit: \"10r/s\"")]
    [InlineData("rate_limit = { burst = 5 }", "site[0].rate_limit: rate_limit needs a rate or max_concurrent")]
    [InlineData("rate_limit = { rate = \"1r/s\", key = \"ip\" }", "\"ip\" is not \"client\", \"header:NAME\" or \"cookie:NAME\"")]
    [InlineData("rate_limit = { max_concurrent = 2, nodelay = true }", "site[0].rate_limit.nodelay: nodelay shapes a rate, and this rate_limit has none")]
    public void AWrongAccessRuleIsAnErrorAtItsKey(string rule, string expected)
    {
        var (config, diagnostics) = Read($"[[site]]\n{rule}\n[[site.route]]\napp = \"main\"\n");
        Assert.Null(config);
        Assert.Contains(diagnostics, diagnostic => diagnostic.ToString().Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AMissingPasswordFileIsReportedByTheDiskCheck()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.main]\nmodule = \"a:b\"\n[[site]]\n[[site.route]]\napp = \"main\"\nbasic_auth = { htpasswd = \"nowhere.htpasswd\" }\n");
        CommandOutput output = ConfigCommands.Check(load.Request());
        Assert.Equal(ConfigCommands.Invalid, output.ExitStatus);
        Assert.Contains($"pyhost.toml:6:16: error: site[0].route[0].basic_auth.htpasswd: cannot read {load.Files.Directory}/nowhere.htpasswd: no such file", output.StandardError);
    }
}
