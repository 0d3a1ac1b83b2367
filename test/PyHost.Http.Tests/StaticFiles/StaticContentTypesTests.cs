using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public class StaticContentTypesTests
{
    [Theory]
    [InlineData("site.css", "text/css; charset=utf-8")]
    [InlineData("admin/js/core.js", "text/javascript; charset=utf-8")]
    [InlineData("module.mjs", "text/javascript; charset=utf-8")]
    [InlineData("core.js.map", "application/json; charset=utf-8")]
    [InlineData("data.json", "application/json; charset=utf-8")]
    [InlineData("index.html", "text/html; charset=utf-8")]
    [InlineData("readme.txt", "text/plain; charset=utf-8")]
    [InlineData("logo.svg", "image/svg+xml; charset=utf-8")]
    [InlineData("feed.xml", "text/xml; charset=utf-8")]
    [InlineData("site.webmanifest", "application/manifest+json; charset=utf-8")]
    [InlineData("photo.JPG", "image/jpeg")]
    [InlineData("photo.png", "image/png")]
    [InlineData("photo.webp", "image/webp")]
    [InlineData("photo.avif", "image/avif")]
    [InlineData("favicon.ico", "image/x-icon")]
    [InlineData("font.woff2", "font/woff2")]
    [InlineData("font.woff", "application/font-woff")]
    [InlineData("module.wasm", "application/wasm")]
    [InlineData("report.pdf", "application/pdf")]
    [InlineData("archive.zip", "application/x-zip-compressed")]
    [InlineData("notes.unknownext", "application/octet-stream")]
    [InlineData("Makefile", "application/octet-stream")]
    public void ForGivesTheTypeOfTheExtension(string fileName, string expected)
    {
        Assert.Equal(expected, StaticContentTypes.For(fileName));
    }
}
