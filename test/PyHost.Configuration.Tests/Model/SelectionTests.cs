using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Model;

public class SelectionTests
{
    private static RouteConfig Route(string path, string app, params string[] methods) =>
        new() { Path = path, Target = new AppTarget(app), Methods = methods.Length == 0 ? null : methods };

    private static readonly IReadOnlyList<RouteConfig> Routes =
    [
        Route("/", "root"),
        Route("/blog", "blog"),
        Route("/blog/admin", "admin"),
        Route("/api", "api-read", "GET", "HEAD"),
        Route("/api", "api-write", "POST"),
    ];

    [Theory]
    [InlineData("/", "GET", "root")]
    [InlineData("/blog", "GET", "blog")]
    [InlineData("/blog/", "GET", "blog")]
    [InlineData("/blog/post/1", "GET", "blog")]
    [InlineData("/blogs", "GET", "root")]
    [InlineData("/blog/admin/users", "POST", "admin")]
    [InlineData("/api/items", "GET", "api-read")]
    [InlineData("/api/items", "POST", "api-write")]
    [InlineData("/api/items", "DELETE", "root")]
    public void TheLongestMatchingPrefixWhoseMethodsFitWins(string path, string method, string app) =>
        Assert.Equal(app, ((AppTarget)RouteConfig.Select(Routes, path, method)!.Target!).App);

    [Fact]
    public void NoRouteMatchesOutsideEveryPrefix() =>
        Assert.Null(RouteConfig.Select([Route("/blog", "blog")], "/shop", "GET"));

    private static SiteConfig Site(string name, params string[] hosts) => new()
    {
        Name = name,
        Hosts = hosts.Select(host => HostPattern.TryParse(host, out HostPattern? pattern, out _, out _) ? pattern : throw new ArgumentException(host)).ToList(),
    };

    private static readonly IReadOnlyList<SiteConfig> Sites =
    [
        Site("wild", "*.example.com"),
        Site("deeper", "*.shop.example.com"),
        Site("exact", "www.example.com", "example.com"),
        Site("fallback"),
    ];

    [Theory]
    [InlineData("www.example.com", "exact")]
    [InlineData("example.com", "exact")]
    [InlineData("blog.example.com", "wild")]
    [InlineData("eu.shop.example.com", "deeper")]
    [InlineData("other.org", "fallback")]
    [InlineData("WWW.EXAMPLE.COM.", "exact")]
    public void ExactNamesBeatWildcardsWhichBeatTheDefaultSite(string host, string site) =>
        Assert.Equal(site, SiteConfig.Select(Sites, host)!.Name);

    [Fact]
    public void WithoutADefaultSiteAnUnknownHostHasNone() => Assert.Null(SiteConfig.Select(Sites.Take(3).ToList(), "other.org"));
}
