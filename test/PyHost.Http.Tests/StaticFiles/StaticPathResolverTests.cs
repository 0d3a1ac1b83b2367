using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public class StaticPathResolverTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("/", "")]
    [InlineData("/site.css", "site.css")]
    [InlineData("/admin/css/base.css", "admin/css/base.css")]
    [InlineData("//admin///css/base.css/", "admin/css/base.css")]
    [InlineData("/with%20space.txt", "with space.txt")]
    [InlineData("/caf%C3%A9.txt", "café.txt")]
    [InlineData("/caf\u00E9.txt", "café.txt")]
    [InlineData("/%41.txt", "A.txt")]
    [InlineData("/a..b/c.d..e", "a..b/c.d..e")]
    [InlineData("/.well-known/x", ".well-known/x")]
    [InlineData("/...", "...")]
    public void TryResolveJoinsTheDecodedSegments(string rawPath, string expected)
    {
        Assert.True(StaticPathResolver.TryResolve(rawPath, out string? relative, out string? refusal), refusal);

        Assert.Equal(expected, relative);
    }

    [Theory]
    [InlineData("/..", "'..' segment")]
    [InlineData("/../etc/passwd", "'..' segment")]
    [InlineData("/sub/../site.css", "'..' segment")]
    [InlineData("/%2e%2e/etc/passwd", "'..' segment")]
    [InlineData("/%2E%2E/etc/passwd", "'..' segment")]
    [InlineData("/.%2e/etc/passwd", "'..' segment")]
    [InlineData("/./site.css", "'..' segment")]
    [InlineData("/%2e/site.css", "'..' segment")]
    [InlineData("/sub%2F..%2Fsite.css", "escaped slash")]
    [InlineData("/sub%2f..%2fsite.css", "escaped slash")]
    [InlineData("/..%2Fetc", "escaped slash")]
    [InlineData("/sub\\..\\site.css", "backslash")]
    [InlineData("/..\\etc", "backslash")]
    [InlineData("/sub%5C..%5Csite.css", "escaped backslash")]
    [InlineData("/sub%5c..", "escaped backslash")]
    [InlineData("/site.css%00.txt", "NUL")]
    [InlineData("/site\0.css", "NUL")]
    [InlineData("/site%0A.css", "control character")]
    [InlineData("/site%7F.css", "control character")]
    [InlineData("/100%.txt", "two hex digits")]
    [InlineData("/%zz", "two hex digits")]
    [InlineData("/%4", "two hex digits")]
    [InlineData("/caf%E9.txt", "not UTF-8")]
    [InlineData("/%C0%AE%C0%AE/etc", "not UTF-8")]
    public void TryResolveRefusesTraversalAndMalformedPaths(string rawPath, string reason)
    {
        Assert.False(StaticPathResolver.TryResolve(rawPath, out string? relative, out string? refusal));

        Assert.Null(relative);
        Assert.Contains(reason, refusal);
    }
}
