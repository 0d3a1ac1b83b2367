using PyHost.Configuration.Model;
using static PyHost.Configuration.Tests.Toml.TomlTestRead;

namespace PyHost.Configuration.Tests.Toml;

/// <summary>The keys the flags of the web-server tier land in, written in pyhost.toml: compression, error pages, static options.</summary>
public class SiteOptionsReaderTests
{
    private const string Site = """
        [server]
        forwarded_headers = "forwarded"

        [[site]]
        compression = { codings = ["br", "gzip"], min_length = "1KiB", levels = { br = 11 } }
        error_pages = { 404 = "pages/404.html", 50x = "/var/www/50x.html" }

          [[site.route]]
          path = "/assets"
          static = "public"
          index = "index.html"
          fallback = "/index.html"
          precompressed = true
          max_ranges = 4
          cache_control = [{ match = "hashed", value = "public, max-age=31536000, immutable" }]

            [[site.route.cache_control]]
            match = "*.html"
            value = "no-cache"

          [[site.route]]
          app = "main"
          request_buffering = false
        """;

    [Fact]
    public void ReadsCompressionErrorPagesAndStaticOptions()
    {
        PyHostConfig config = ReadValid(Site);
        Assert.Equal(ForwardedHeaderStyle.Forwarded, config.Server.ForwardedHeaders);
        SiteConfig site = Assert.Single(config.Sites);
        Assert.Equal([CompressionCoding.Brotli, CompressionCoding.Gzip], site.Compression!.Codings);
        Assert.Equal(1024, site.Compression.MinLength.Bytes);
        Assert.Equal(new CompressionLevels { Brotli = 11 }, site.Compression.Levels);
        Assert.Equal(new Dictionary<string, string> { ["404"] = "/srv/pages/404.html", ["50x"] = "/var/www/50x.html" }, site.ErrorPages);

        StaticOptionsConfig options = site.Routes[0].StaticOptions!;
        Assert.Equal(("index.html", "index.html", true, 4), (options.Index, options.Fallback, options.Precompressed, options.MaxRanges));
        Assert.Equal([("hashed", CacheControlEntry.ImmutableValue), ("*.html", "no-cache")], options.CacheControl.Select(entry => (entry.Match, entry.Value)));
        Assert.Null(site.Routes[1].StaticOptions);
        Assert.Equal(false, site.Routes[1].RequestBuffering);
        Assert.Null(site.Routes[1].ResponseBuffering);   // true once completed: see AppRoutesBufferByDefault
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("{}", true)]
    public void CompressionIsOnWhenPresent(string value, bool on)
    {
        CompressionConfig? compression = Assert.Single(ReadValid($"[[site]]\ncompression = {value}\n[[site.route]]\napp = \"x\"\n").Sites).Compression;
        Assert.Equal(on ? new CompressionConfig() : null, compression);
        Assert.Null(Assert.Single(ReadValid("[[site]]\n[[site.route]]\napp = \"x\"\n").Sites).Compression);
    }

    [Fact]
    public void CompressionDefaultsAreZstdBrGzipFrom512BytesAtFastLevels()
    {
        var compression = new CompressionConfig();
        Assert.Equal([CompressionCoding.Zstd, CompressionCoding.Brotli, CompressionCoding.Gzip], compression.Codings);
        Assert.Equal(512, compression.MinLength.Bytes);
        Assert.Equal((3, 4, 5), (compression.Levels.Of(CompressionCoding.Zstd), compression.Levels.Of(CompressionCoding.Brotli), compression.Levels.Of(CompressionCoding.Gzip)));
        Assert.Equal(["zstd", "br", "gzip"], compression.Codings.Select(CompressionConfig.Token));
    }

    [Theory]
    [InlineData("compression = { levels = { gzip = 10 } }", "pyhost.toml:2:35: error: site[0].compression.levels.gzip: 10 is out of range: expected a whole number from 1 to 9")]
    [InlineData("compression = { levels = { br = 12 } }", "site[0].compression.levels.br: 12 is out of range: expected a whole number from 0 to 11")]
    [InlineData("compression = { levels = { zstd = 0 } }", "site[0].compression.levels.zstd: 0 is out of range: expected a whole number from 1 to 19")]
    [InlineData("compression = { levels = { deflate = 3 } }", "unknown key 'deflate' in site[0].compression.levels")]
    [InlineData("compression = { codings = [\"lzma\"] }", "site[0].compression.codings[0]: \"lzma\" is not one of \"zstd\", \"br\", \"gzip\"")]
    [InlineData("compression = { codings = [] }", "site[0].compression.codings: expected one or more of \"zstd\", \"br\", \"gzip\"")]
    [InlineData("compression = \"gzip\"", "site[0].compression: expected true, false or { codings")]
    [InlineData("error_pages = { 403 = \"403.html\" }", "pyhost.toml:2:17: error: site[0].error_pages.403: '403' is not a status PyHost has a page for")]
    [InlineData("error_pages = { 404 = 404 }", "site[0].error_pages.404: expected a file path, got an integer 404")]
    [InlineData("error_pages = [\"404.html\"]", "site[0].error_pages: expected a table of status (404, 500, 502, 503, 504 or 50x) = \"file\"")]
    public void WrongSiteOptionsAreErrorsNamingTheKey(string line, string expected) =>
        Assert.Contains(expected, OneError($"[[site]]\n{line}\n[[site.route]]\napp = \"x\"\n"));

    [Theory]
    [InlineData("index = \"index.html\"", "pyhost.toml:4:1: error: site[0].route[0].index: 'index' applies to static routes only, and this route's target is app\n  hint: put it on a route with static = \"DIR\"")]
    [InlineData("precompressed = true", "site[0].route[0].precompressed: 'precompressed' applies to static routes only, and this route's target is app")]
    [InlineData("cache_control = [{ match = \"*\", value = \"no-store\" }]", "site[0].route[0].cache_control: 'cache_control' applies to static routes only")]
    public void StaticOptionsOnAnAppRouteAreErrorsWithAHint(string line, string expected) =>
        Assert.Contains(expected, OneError($"[[site]]\n[[site.route]]\napp = \"x\"\n{line}\n"));

    [Theory]
    [InlineData("proxy = \"http://127.0.0.1:9000\"", "response_buffering = false",
        "pyhost.toml:4:1: warning: site[0].route[0].response_buffering: 'response_buffering' has no effect on a proxy route: ignored\n  hint: it acts on app routes; a proxy route streams the server's response with back-pressure")]
    [InlineData("static = \"public\"", "request_buffering = false", "site[0].route[0].request_buffering: 'request_buffering' has no effect on a static route: ignored")]
    [InlineData("redirect = { location = \"/new\" }", "max_body_size = \"1m\"", "site[0].route[0].max_body_size: 'max_body_size' has no effect on a redirect route: ignored")]
    public void BodyOptionsOnARouteTheyDoNotActOnAreWarnings(string target, string line, string expected)
    {
        var (config, diagnostics) = TomlTestRead.Read($"[[site]]\n[[site.route]]\n{target}\n{line}\n");
        Assert.NotNull(config);
        Assert.Contains(expected, Assert.Single(diagnostics).ToString());
    }

    [Theory]
    [InlineData("app = \"x\"", "response_buffering = false")]
    [InlineData("proxy = \"http://127.0.0.1:9000\"", "request_buffering = false")]
    [InlineData("proxy = \"http://127.0.0.1:9000\"", "max_body_size = \"1m\"")]
    [InlineData("cgi = { path = \"cgi-bin\" }", "max_body_size = \"1m\"")]
    public void BodyOptionsOnARouteTheyActOnAreValid(string target, string line) =>
        ReadValid($"[[site]]\n[[site.route]]\n{target}\n{line}\n");

    [Theory]
    [InlineData("index = \"../etc/passwd\"", "site[0].route[0].index: \"../etc/passwd\" is not a file name in the directory")]
    [InlineData("max_ranges = 0", "site[0].route[0].max_ranges: 0 is out of range: expected a whole number of at least 1")]
    [InlineData("cache_control = [{ match = \"*.css\" }]", "site[0].route[0].cache_control[0]: a cache_control entry needs 'value'")]
    [InlineData("cache_control = [{ match = \"*.css\", value = \"no-cache\\n\" }]", "site[0].route[0].cache_control[0].value: \"no-cache\n\" is not a header value")]
    [InlineData("cache_control = { match = \"*.css\", value = \"no-cache\" }", "site[0].route[0].cache_control: expected a list of tables ([[site.route.cache_control]])")]
    public void WrongStaticOptionsAreErrors(string line, string expected) =>
        Assert.Contains(expected, OneError($"[[site]]\n[[site.route]]\nstatic = \"public\"\n{line}\n"));

    [Theory]
    [InlineData("max_request_line = 0")]
    [InlineData("max_header_count = 0")]
    [InlineData("max_header_size = 0")]
    [InlineData("max_body_size = 0")]
    [InlineData("header_timeout = 0")]
    [InlineData("keepalive_timeout = 0")]
    [InlineData("min_request_body_rate = 0")]
    [InlineData("max_connections = 0")]
    public void ZeroTurnsALimitOff(string limit) =>
        ReadValid($"[[listen]]\naddress = \"127.0.0.1:8000\"\nlimits = {{ {limit} }}\n");

    [Fact]
    public void TheDocumentedDefaultsOfBufferingAreTrue()
    {
        var keys = RouteConfig.Table.Keys.Where(key => key.Name.EndsWith("_buffering", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, key => Assert.Equal("true", key.DefaultDoc));
    }
}
