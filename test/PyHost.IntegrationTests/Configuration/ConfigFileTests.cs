using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Configuration;

/// <summary>
/// One pyhost.toml with two sites, two apps, a mounted app, static files, a redirect and a fixed answer: each request
/// reaches the target its Host header and path name, with SCRIPT_NAME and PATH_INFO split at the mount.
/// </summary>
public sealed class ConfigFileTests(ConfigFileTests.Server server) : IClassFixture<ConfigFileTests.Server>
{
    public const string Toml = """
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[site]]
        name = "alpha"
        hosts = ["alpha.test", "www.alpha.test"]

          [[site.route]]
          path = "/api"
          app = "api"

          [[site.route]]
          path = "/files"
          static = "public"

          [[site.route]]
          path = "/old"
          redirect = { status = 301, location = "https://{host}/new{path}{query}" }

          [[site.route]]
          path = "/form"
          methods = ["POST"]
          app = "api"

          [[site.route]]
          path = "/form"
          respond = { status = 405, headers = { Allow = "POST", Content-Type = "text/plain" }, body = "POST only\n" }

          [[site.route]]
          path = "/"
          app = "main"

        [[site]]
        name = "beta"
        hosts = ["*.beta.test"]

          [[site.route]]
          app = "api"

        [app.main]
        module = "named:app"
        env = { APP_NAME = "main" }
        workers = 1

        [app.api]
        module = "named:app"
        env = { APP_NAME = "api" }
        workers = 2
        """;

    public sealed class Server : IAsyncLifetime
    {
        public ConfiguredServer Running { get; private set; } = null!;

        public async Task InitializeAsync() => Running = await ConfiguredServer.StartAsync(null, Toml);

        public async Task DisposeAsync() => await Running.DisposeAsync();
    }

    private ConfiguredServer Running => server.Running;

    [Theory]
    [InlineData("alpha.test", "/", "main", "", "/")]
    [InlineData("www.alpha.test", "/a/b?x=1", "main", "", "/a/b")]
    [InlineData("alpha.test", "/api", "api", "/api", "")]
    [InlineData("alpha.test", "/api/users/7", "api", "/api", "/users/7")]
    [InlineData("alpha.test", "/apiary", "main", "", "/apiary")]
    [InlineData("x.beta.test", "/anything", "api", "", "/anything")]
    [InlineData("ALPHA.test:8080", "/", "main", "", "/")]
    public async Task The_host_and_the_longest_prefix_choose_the_app_and_split_the_path(
        string host, string target, string app, string scriptName, string pathInfo)
    {
        JsonElement answer = await Running.AppAsync(host, target);

        Assert.Equal(app, answer.GetProperty("app").GetString());
        Assert.Equal(scriptName, answer.GetProperty("script_name").GetString());
        Assert.Equal(pathInfo, answer.GetProperty("path_info").GetString());
    }

    [Fact]
    public async Task A_static_route_is_answered_by_the_front()
    {
        var response = (await Running.RequestAsync("alpha.test", "/files/hello.txt")).AssertStatus(200);

        Assert.Equal("hello from the front\n", response.BodyText);
        Assert.NotNull(response.Header("Last-Modified"));
        (await Running.RequestAsync("alpha.test", "/files/missing.txt")).AssertStatus(404);
    }

    [Fact]
    public async Task A_redirect_fills_in_its_template()
    {
        var response = (await Running.RequestAsync("www.alpha.test", "/old/page?q=1")).AssertStatus(301);

        Assert.Equal("https://www.alpha.test/new/old/page?q=1", response.Header("Location"));
    }

    [Fact]
    public async Task A_route_with_methods_lets_other_methods_fall_through_to_the_next_route()
    {
        JsonElement post = await Running.AppAsync("alpha.test", "/form", "POST");
        Assert.Equal("api", post.GetProperty("app").GetString());

        var get = (await Running.RequestAsync("alpha.test", "/form")).AssertStatus(405);
        Assert.Equal("POST", get.Header("Allow"));
        Assert.Equal("POST only\n", get.BodyText);
    }

    [Fact]
    public async Task An_unknown_host_gets_421_when_no_site_takes_every_host()
    {
        var response = await Running.RequestAsync("gamma.test", "/");

        Assert.Equal(421, response.StatusCode);
        Assert.Contains("gamma.test", response.BodyText);
    }

    [Fact]
    public async Task Each_app_has_its_own_workers()
    {
        var mainPids = new HashSet<int>();
        var apiPids = new HashSet<int>();
        for (int i = 0; i < 20; i++)
        {
            mainPids.Add((await Running.AppAsync("alpha.test", "/")).GetProperty("pid").GetInt32());
            apiPids.Add((await Running.AppAsync("alpha.test", "/api/")).GetProperty("pid").GetInt32());
        }

        Assert.Single(mainPids);
        Assert.InRange(apiPids.Count, 1, 2);
        Assert.Empty(mainPids.Intersect(apiPids));
    }
}
