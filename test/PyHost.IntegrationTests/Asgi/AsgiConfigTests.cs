using System.Text.Json;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>The interface is chosen per app in the configuration file: a WSGI app and an ASGI app (interface, loop and
/// lifespan from its [app.NAME] keys) behind one site, the ASGI one mounted, so its root_path is the mount prefix.</summary>
public sealed class AsgiConfigTests(ITestOutputHelper output)
{
    private static readonly string Toml = """
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[site]]
          [[site.route]]
          path = "/api"
          app = "api"

          [[site.route]]
          path = "/"
          app = "main"

        [app.main]
        module = "named:app"
        env = { APP_NAME = "main" }
        workers = 1

        [app.api]
        module = "asgi_conformance:app"
        chdir = "{apps}"
        interface = "asgi"
        loop = "asyncio"
        lifespan = "off"
        workers = 1
        """.Replace("{apps}", Repository.AppsDirectory);

    [Fact]
    public async Task AWsgiAppAndAMountedAsgiAppEachRunAsTheirAppSays()
    {
        await using ConfiguredServer server = await ConfiguredServer.StartAsync(output, Toml);

        JsonElement scope = (await server.RequestAsync("127.0.0.1", "/api/scope?x=1")).AssertStatus(200).Json().GetProperty("scope");
        JsonElement wsgi = await server.AppAsync("127.0.0.1", "/page");

        Assert.Equal("/api", scope.GetProperty("root_path").GetString());
        Assert.Equal("/api/scope", scope.GetProperty("path").GetString());
        Assert.Equal("main", wsgi.GetProperty("app").GetString());
        Assert.Matches(new Regex(@"Booted worker 1 \(pid \d+\) in \d+ ms \(Python [\d.]+, WSGI\)"), server.Process.Output);
        Assert.Matches(new Regex(@"Booted api worker 1 \(pid \d+\) in \d+ ms \(Python [\d.]+, ASGI on asyncio\)"), server.Process.Output);
        // lifespan = "off": the app was never called with the lifespan scope, so it saw no startup.
        JsonElement observed = (await server.RequestAsync("127.0.0.1", "/api/observed")).AssertStatus(200).Json();
        Assert.DoesNotContain(observed.EnumerateArray(), e => e.GetProperty("event").GetString() == "startup");
    }
}
