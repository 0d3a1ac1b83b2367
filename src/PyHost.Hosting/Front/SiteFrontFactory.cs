using PyHost.Configuration.Model;
using PyHost.Http.Compression;
using PyHost.Http.Routing;
using PyHost.Http.StaticFiles;

namespace PyHost.Hosting.Front;

/// <summary>What a <c>[[site]]</c> adds to every answer of its routes: its <c>compression</c> and <c>error_pages</c>.</summary>
public static class SiteFrontFactory
{
    public static SiteFront For(SiteConfig site) =>
        new(site, site.Compression is { } compression ? new ResponseCompressionMiddleware(CompressionOf(compression)) : null, ErrorPagesOf(site));

    /// <summary>
    /// The site's pages, "50x" last so that a page for one status wins over the range. Each must be there when the site
    /// starts serving (a page that goes missing later falls back to the front's own).
    /// </summary>
    public static IReadOnlyList<ErrorPageFile> ErrorPagesOf(SiteConfig site) =>
        site.ErrorPages.OrderBy(page => page.Key == "50x").Select(page => File.Exists(page.Value)
            ? ErrorPageFile.Of(page.Key, page.Value)
            : throw new ServerConfigurationException($"site {site.DisplayName}: error page {page.Key}: no such file: {page.Value}")).ToList();

    public static CompressionOptions CompressionOf(CompressionConfig config) => new()
    {
        Codings = config.Codings.Select(CodingOf).ToList(),
        MinimumLength = config.MinLength.Bytes,
        GzipLevel = config.Levels.Gzip,
        BrotliQuality = config.Levels.Brotli,
        ZstdLevel = config.Levels.Zstd,
    };

    public static ContentCoding CodingOf(CompressionCoding coding) => coding switch
    {
        CompressionCoding.Zstd => ContentCoding.Zstd,
        CompressionCoding.Brotli => ContentCoding.Brotli,
        _ => ContentCoding.Gzip,
    };
}
