using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using PyHost.Configuration.Model;
using PyHost.Http.Access;
using PyHost.Http.Access.BasicAuth;
using PyHost.Http.Forwarding;
using PyHost.Http.Routing;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Access;

public sealed class RouteGuardsTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"pyhost-guards-{Guid.NewGuid():N}.htpasswd");

    public RouteGuardsTests() => File.WriteAllText(_file, "bob:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n");   // "secret"

    public void Dispose() => File.Delete(_file);

    private SiteConfig Site() => new()
    {
        Access = new AccessConfig
        {
            BasicAuth = new BasicAuthConfig { Htpasswd = _file },
            Allow = ["127.0.0.1"],
            RateLimit = new RateLimitConfig { Rate = new RequestRate(1, TimeSpan.FromMinutes(1)), Burst = 1, NoDelay = true },
        },
        Routes =
        [
            new RouteConfig { Path = "/", Target = new RespondTarget { Body = "root" } },
            new RouteConfig { Path = "/public", Target = new RespondTarget { Body = "public" }, Access = new AccessConfig { BasicAuth = BasicAuthConfig.Off, RateLimit = RateLimitConfig.Off } },
            new RouteConfig { Path = "/lan", Target = new RespondTarget { Body = "lan" }, Access = new AccessConfig { Allow = ["10.0.0.0/8"] } },
        ],
    };

    [Fact]
    public void TheRouteTableHandsEachMatchItsRoutesGuards()
    {
        using var factory = new RouteGuardFactory(new ListLoggerFactory());
        SiteConfig site = Site();
        RouteTable table = RouteTable.Build([site], SiteFront.Plain, (_, route) => new RespondEndpoint((RespondTarget)route.Target!), factory.For);

        RouteGuards root = table.Match("h", "/", "GET")!.Guards;
        Assert.NotNull(root.RateLimit);
        Assert.NotNull(root.Addresses);
        Assert.NotNull(root.BasicAuth);
        RouteGuards open = table.Match("h", "/public/x", "GET")!.Guards;
        Assert.Null(open.RateLimit);
        Assert.Null(open.BasicAuth);
        Assert.True(open.Addresses!.Admits("127.0.0.1"));
        RouteGuards lan = table.Match("h", "/lan", "GET")!.Guards;
        Assert.Same(root.RateLimit, lan.RateLimit);           // inherited: counted with the site's other routes
        Assert.False(lan.Addresses!.Admits("127.0.0.1"));
        Assert.Same(root.BasicAuth!.Realm, lan.BasicAuth!.Realm);
    }

    [Fact]
    public async Task TheRateLimitIsCheckedBeforeTheAddressAndThePasswordAsInNginx()
    {
        using var factory = new RouteGuardFactory(new ListLoggerFactory());
        SiteConfig site = Site();
        RouteTable table = RouteTable.Build([site], SiteFront.Plain, (_, route) => new RespondEndpoint((RespondTarget)route.Target!), factory.For);
        await using TestKestrel front = await TestKestrel.StartAsync(async context =>
        {
            RequestOriginFeature.Attach(context, TrustedProxies.None, PyHost.Configuration.Model.ForwardedHeaderStyle.None);
            RouteMatch match = table.Match("h", context.Request.Path.Value!, context.Request.Method)!;
            if (await match.Guards.AdmitAsync(context))
            {
                await context.Response.WriteAsync(((RespondEndpoint)match.Endpoint).Target.Body);
            }
        });
        using var client = new HttpClient { BaseAddress = new Uri(front.Url) };
        string good = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:secret"));

        async Task<int> Status(string path, string? authorization = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            return (int)(await client.SendAsync(request)).StatusCode;
        }

        Assert.Equal(403, await Status("/lan"));                 // the rate's first request: then the address
        Assert.Equal(401, await Status("/"));                    // the burst's: then the password
        Assert.Equal(429, await Status("/", good));              // past rate and burst: the rate answers first
        Assert.Equal(429, await Status("/lan"));
        Assert.Equal(200, await Status("/public"));              // its own rules: no rate, no password
    }
}
