using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Validation;

namespace PyHost.Configuration.Tests.CommandLine;

/// <summary>
/// Flags of every site (--max-request-body, --compress*, --error-page) and of every route of a kind (buffering for app
/// routes, --static-* for static ones) reach the flags' site and a file's sites alike, whatever the order they come in.
/// </summary>
public class SiteAndRouteFlagsTests
{
    private const string TwoSites = """
        [[site]]
        hosts = ["blog.example"]
          [[site.route]]
          path = "/media"
          static = "media"
          [[site.route]]
          app = "blog"

        [[site]]
        hosts = ["shop.example"]
        compression = { codings = ["gzip"], levels = { gzip = 9 } }
          [[site.route]]
          app = "shop"
          max_body_size = "1GiB"

        [app.blog]
        module = "blog:app"

        [app.shop]
        module = "shop:app"
        """;

    private static LoadHelper WithTwoSites()
    {
        var load = new LoadHelper();
        load.Files.MakeDirectory("media");
        load.Files.Write("pyhost.toml", TwoSites);
        return load;
    }

    [Fact]
    public void AppRoutesBufferByDefault()
    {
        using var load = new LoadHelper();
        RouteConfig route = Assert.Single(Assert.Single(load.LoadValid().Sites).Routes);
        Assert.Equal((true, true), (route.RequestBuffering, route.ResponseBuffering));
    }

    [Fact]
    public void BufferingFlagsTurnItOffOnEveryAppRouteOfTheFile()
    {
        using var load = WithTwoSites();
        PyHostConfig config = load.LoadValid("--no-request-buffering", "--no-response-buffering");
        var routes = config.Sites.SelectMany(site => site.Routes).ToList();
        Assert.All(routes.Where(route => route.Target is AppTarget), route => Assert.Equal((false, false), (route.RequestBuffering, route.ResponseBuffering)));
        RouteConfig media = routes.Single(route => route.Target is StaticTarget);
        Assert.Equal((null, null), (media.RequestBuffering, media.ResponseBuffering));
        Assert.Equal(new FlagOrigin("--no-request-buffering"), config.Provenance.Of("site[1].route[0].request_buffering"));
    }

    [Fact]
    public void ALaterStaticFlagDoesNotEscapeTheRouteFlagsBeforeIt()
    {
        using var load = new LoadHelper();
        load.Files.MakeDirectory("public");
        PyHostConfig config = load.LoadValid("--no-request-buffering", "--static-index", "index.html", "--static-precompressed", "--static", "/s=public");
        SiteConfig site = Assert.Single(config.Sites);
        Assert.Equal(false, site.Routes.Single(route => route.Target is AppTarget).RequestBuffering);
        RouteConfig statics = site.Routes.Single(route => route.Target is StaticTarget);
        Assert.Equal(new StaticOptionsConfig { Index = "index.html", Precompressed = true }, statics.StaticOptions);
        Assert.Null(site.Routes.Single(route => route.Target is AppTarget).StaticOptions);
    }

    [Fact]
    public void MaxRequestBodyReadsNginxSizesAndReachesEverySite()
    {
        using var load = WithTwoSites();
        PyHostConfig config = load.LoadValid("--max-request-body", "64k");
        Assert.All(config.Sites, site => Assert.Equal(64L << 10, site.Limits.MaxBodySize!.Value.Bytes));
        Assert.Equal(1L << 30, config.Sites[1].Routes[0].MaxBodySize!.Value.Bytes);   // a route's own limit stays its own

        using var flagsOnly = new LoadHelper();
        Assert.Equal(1L << 20, Assert.Single(flagsOnly.LoadValid("--max-request-body", "1m").Sites).Limits.MaxBodySize!.Value.Bytes);
        Assert.Equal(2L << 30, Assert.Single(flagsOnly.LoadValid("--max-request-body", "2g").Sites).Limits.MaxBodySize!.Value.Bytes);
        Assert.Equal(1048576, Assert.Single(flagsOnly.LoadValid("--max-request-body", "1048576").Sites).Limits.MaxBodySize!.Value.Bytes);
        Assert.Equal(0, Assert.Single(flagsOnly.LoadValid("--max-request-body", "0").Sites).Limits.MaxBodySize!.Value.Bytes);
        Assert.Equal(100L << 20, LimitsConfig.Defaults.MaxBodySize!.Value.Bytes);
    }

    [Fact]
    public void CompressOnEverySiteKeepsASitesOwnTable()
    {
        using var load = WithTwoSites();
        PyHostConfig config = load.LoadValid("--compress");
        Assert.Equal(new CompressionConfig(), config.Sites[0].Compression);
        Assert.Equal([CompressionCoding.Gzip], config.Sites[1].Compression!.Codings);
        Assert.Equal(9, config.Sites[1].Compression!.Levels.Gzip);
        Assert.All(load.LoadValid().Sites.Take(1), site => Assert.Null(site.Compression));
    }

    [Fact]
    public void CompressionKeyFlagsImplyCompressionAndSetTheirKeyOnly()
    {
        using var load = WithTwoSites();
        PyHostConfig config = load.LoadValid("--compress-codings", "BR, x-gzip, br", "--compress-level", "br=7", "--compress-min-length", "2048");
        Assert.All(config.Sites, site =>
        {
            Assert.Equal([CompressionCoding.Brotli, CompressionCoding.Gzip], site.Compression!.Codings);
            Assert.Equal(7, site.Compression.Levels.Brotli);
            Assert.Equal(2048, site.Compression.MinLength.Bytes);
        });
        Assert.Equal((3, 5), (config.Sites[0].Compression!.Levels.Zstd, config.Sites[0].Compression!.Levels.Gzip));
        Assert.Equal(9, config.Sites[1].Compression!.Levels.Gzip);   // the file's level for gzip stays
    }

    [Fact]
    public void ErrorPagesReachEverySiteRelativeToTheCurrentDirectoryAndMustExist()
    {
        using var load = WithTwoSites();
        load.Files.Write("pages/404.html", "<h1>not here</h1>");
        PyHostConfig config = load.LoadValid("--error-page", "404=pages/404.html", "--error-page", "50x=pages/50x.html");
        Assert.All(config.Sites, site => Assert.Equal(new Dictionary<string, string>
        {
            ["404"] = Path.Combine(load.Files.Directory, "pages/404.html"),
            ["50x"] = Path.Combine(load.Files.Directory, "pages/50x.html"),
        }, site.ErrorPages));

        var diagnostics = new DiagnosticBag();
        FileSystemCheck.Check(config, diagnostics);
        var missing = diagnostics.Items.Where(item => item.KeyPath.Contains("error_pages", StringComparison.Ordinal)).ToList();
        Assert.Equal(["site[0].error_pages.50x", "site[1].error_pages.50x"], missing.Select(item => item.KeyPath));
        Assert.Equal($"flag --error-page: error: site[0].error_pages.50x: cannot read {Path.Combine(load.Files.Directory, "pages/50x.html")}: no such file", missing[0].ToString().Split('\n')[0]);
    }

    [Fact]
    public void StaticOptionFlagsReachTheFilesStaticRoutesAndNoOther()
    {
        using var load = WithTwoSites();
        PyHostConfig config = load.LoadValid("--static-index", "index.html", "--static-fallback", "/app.html", "--static-max-ranges", "2",
            "--static-cache-control", "hashed=public, max-age=31536000, immutable", "--static-cache-control", "img/**=max-age=60");
        RouteConfig media = config.Sites[0].Routes[0];
        Assert.Equal(new StaticOptionsConfig
        {
            Index = "index.html",
            Fallback = "app.html",
            MaxRanges = 2,
            CacheControl = media.StaticOptions!.CacheControl,
        }, media.StaticOptions);
        Assert.Equal([new CacheControlEntry { Match = "hashed", Value = CacheControlEntry.ImmutableValue }, new CacheControlEntry { Match = "img/**", Value = "max-age=60" }],
            media.StaticOptions.CacheControl);
        Assert.All(config.Sites.SelectMany(site => site.Routes).Where(route => route.Target is AppTarget), route => Assert.Null(route.StaticOptions));
    }

    [Fact]
    public void AStaticOptionFlagWithoutAStaticRouteIsAWarning()
    {
        using var load = new LoadHelper();
        ConfigLoadResult result = load.Load("--static-index", "index.html");
        Assert.True(result.Succeeded);
        ConfigDiagnostic warning = Assert.Single(result.Diagnostics);
        Assert.Equal("flag --static-index: warning: index: this applies to static routes, and there is none: ignored\n"
                     + "  hint: add a static route: --static URL_PREFIX=DIR, or static = \"DIR\" in a [[site.route]]", warning.ToString());
    }

    [Theory]
    [InlineData(new[] { "--static-index", "../index.html" }, "flag --static-index: error: index: \"../index.html\" is not a file name in the directory")]
    [InlineData(new[] { "--static-max-ranges", "0" }, "flag --static-max-ranges: error: max_ranges: 0 is out of range: expected a whole number of at least 1")]
    [InlineData(new[] { "--static-cache-control", "*.css=max-age=1\u00e9" }, "flag --static-cache-control: error: cache_control[0].value: \"max-age=1\u00e9\" is not a header value")]
    public void AStaticOptionFlagWithoutAStaticRouteIsStillCheckedForItsValue(string[] arguments, string message)
    {
        using var load = new LoadHelper();
        Assert.StartsWith(message, load.Errors(arguments));
    }

    [Fact]
    public void ASiteFlagWithSeveralAppsAndNoSiteLeavesTheLoaderToSaySitesAreNeeded()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.a]\nmodule = \"a:app\"\n[app.b]\nmodule = \"b:app\"\n");
        Assert.Contains("there are 2 apps and no [[site]]", load.Errors("--max-request-body", "1m"));
    }
}
