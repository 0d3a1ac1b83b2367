using PyHost.Configuration.Model;
using PyHost.Http.Routing;
using PyHost.Http.StaticFiles;
using Xunit;

namespace PyHost.Http.Tests.Routing;

public sealed class RouteTableTests
{
    private static HostPattern Host(string text) =>
        HostPattern.TryParse(text, out HostPattern? pattern, out string? error, out _) ? pattern : throw new ArgumentException(error);

    private static SiteConfig Site(string name, string[] hosts, params RouteConfig[] routes) =>
        new() { Name = name, Hosts = hosts.Select(Host).ToArray(), Routes = routes };

    private static RouteConfig Route(string path, string target, params string[] methods) =>
        new() { Path = path, Target = new RespondTarget { Body = target }, Methods = methods.Length > 0 ? methods : null };

    private static RouteTable Table(params SiteConfig[] sites) =>
        RouteTable.Build(sites, SiteFront.Plain, (_, route) => new RespondEndpoint((RespondTarget)route.Target!));

    private static string? Answer(RouteTable table, string host, string path, string method = "GET") =>
        (table.Match(host, path, method)?.Endpoint as RespondEndpoint)?.Target.Body;

    [Fact]
    public void ATableServesFilesOnlyWhenSomeRouteIsAStaticOne()
    {
        // The listeners give a connection the zero-copy output (about 1 KB while it is open) only when this says so.
        Assert.False(Table(Site("one", ["one.test"], Route("/", "one")), Site("default", [], Route("/", "fallback"))).ServesFiles);
        Assert.False(RouteTable.Empty.ServesFiles);

        DirectoryInfo directory = Directory.CreateTempSubdirectory("pyhost-route-files-");
        try
        {
            Assert.True(StaticMount.TryParse($"/static={directory.FullName}", out StaticMount? mount, out string? error), error);
            using var files = new StaticFileRoute([mount!]);
            RouteTable withFiles = RouteTable.Build(
                [Site("app", ["app.test"], Route("/", "app")), Site("assets", ["assets.test"], Route("/static", "files"))],
                SiteFront.Plain,
                (_, route) => route.Path == "/static" ? new StaticEndpoint(files, mount!) : new RespondEndpoint((RespondTarget)route.Target!));

            Assert.True(withFiles.ServesFiles);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void AnExactHostBeatsAWildcardAndTheLongestWildcardBeatsAShorterOne()
    {
        RouteTable table = Table(
            Site("wide", ["*.example.com"], Route("/", "wide")),
            Site("narrow", ["*.shop.example.com"], Route("/", "narrow")),
            Site("exact", ["www.shop.example.com"], Route("/", "exact")));

        Assert.Equal("exact", Answer(table, "WWW.Shop.Example.COM", "/"));
        Assert.Equal("narrow", Answer(table, "eu.shop.example.com", "/"));
        Assert.Equal("wide", Answer(table, "a.b.example.com", "/"));
        Assert.Null(Answer(table, "example.com", "/"));   // a wildcard takes names below the domain only
    }

    [Fact]
    public void AHostNoSiteNamesGoesToTheDefaultSiteIfThereIsOne()
    {
        Assert.Null(Answer(Table(Site("one", ["one.test"], Route("/", "one"))), "other.test", "/"));
        RouteTable withDefault = Table(Site("one", ["one.test"], Route("/", "one")), Site("default", [], Route("/", "fallback")));

        Assert.Equal("fallback", Answer(withDefault, "other.test", "/"));
        Assert.Equal("one", Answer(withDefault, "one.test.", "/"));   // a trailing dot is the same name
    }

    [Fact]
    public void TheLongestPrefixWinsAndAPrefixTakesOnlyWholeSegments()
    {
        RouteTable table = Table(Site("s", [], Route("/", "root"), Route("/blog", "blog"), Route("/blog/admin", "admin")));

        Assert.Equal("blog", Answer(table, "h", "/blog"));
        Assert.Equal("blog", Answer(table, "h", "/blog/2024/post"));
        Assert.Equal("admin", Answer(table, "h", "/blog/admin/users"));
        Assert.Equal("root", Answer(table, "h", "/blogs"));
        Assert.Equal("root", Answer(table, "h", "/"));
    }

    [Fact]
    public void ARouteForOtherMethodsFallsThroughToAShorterPrefix()
    {
        RouteTable table = Table(Site("s", [], Route("/", "app"), Route("/api", "read-only", "GET", "HEAD")));

        Assert.Equal("read-only", Answer(table, "h", "/api/items", "GET"));
        Assert.Equal("app", Answer(table, "h", "/api/items", "POST"));
    }

    [Fact]
    public void AmongEqualPrefixesTheFirstWrittenWins()
    {
        RouteTable table = Table(Site("s", [], Route("/x", "first"), Route("/x", "second")));

        Assert.Equal("first", Answer(table, "h", "/x"));
    }

    [Fact]
    public void AMountedRouteGivesItsPrefixAsTheMountAndTheRootGivesNone()
    {
        RouteTable table = Table(Site("s", [], Route("/", "root"), Route("/blog", "blog")));

        Assert.Equal("/blog", table.Match("h", "/blog/x", "GET")!.MountPrefix);
        Assert.Equal("", table.Match("h", "/x", "GET")!.MountPrefix);
    }

    [Fact]
    public void NoRouteOfTheSiteTakesThePathMeansNoMatch()
    {
        Assert.Null(Table(Site("s", [], Route("/only", "only"))).Match("h", "/else", "GET"));
    }

    [Fact]
    public void MatchingTheSameRouteAgainAllocatesNothing()
    {
        RouteTable table = Table(Site("s", ["example.com"], Route("/", "root"), Route("/blog", "blog")));
        table.Match("example.com", "/blog/x", "GET");

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            table.Match("example.com", "/blog/x", "GET");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
