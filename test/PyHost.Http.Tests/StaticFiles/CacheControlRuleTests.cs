using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public class CacheControlRuleTests
{
    [Theory]
    [InlineData("site.0123456789ab.css", true)]                 // Django ManifestStaticFilesStorage
    [InlineData("admin/js/core.5f2c1ab3e9d0.js", true)]
    [InlineData("app.3f2a9c1b.js", true)]                       // webpack [contenthash:8]
    [InlineData("chunk-8e1d2f3a4b5c6d7e.js", true)]             // [name]-[hash]
    [InlineData("site.0123456789ab.css.map", true)]
    [InlineData("site.css", false)]
    [InlineData("site.0123456.css", false)]                     // 7 digits: a version, not a hash
    [InlineData("site.0123456789AB.css", false)]                // hashes are written in lower case
    [InlineData("0123456789ab.css", false)]                     // the hash follows a name
    [InlineData("dir.0123456789ab/site.css", false)]
    public void HashedMatchesNamesWithAContentHash(string path, bool matches)
    {
        Assert.True(CacheControlRule.TryParse("hashed=" + CacheControlRule.ImmutableValue, out CacheControlRule? rule, out _));

        Assert.Equal(matches, rule.Matches(path));
    }

    [Theory]
    [InlineData("*.css", "site.css", true)]
    [InlineData("*.css", "css/deep/site.css", true)]            // no '/': the file name anywhere
    [InlineData("*.css", "site.css.map", false)]
    [InlineData("site.?s", "site.js", true)]
    [InlineData("site.?s", "site.jss", false)]
    [InlineData("img/*", "img/a.png", true)]
    [InlineData("img/*", "img/sub/a.png", false)]
    [InlineData("img/**", "img/sub/a.png", true)]
    [InlineData("/img/**", "img/sub/a.png", true)]
    [InlineData("img/**/*.png", "img/a.png", true)]
    [InlineData("img/**/*.png", "img/x/y/a.png", true)]
    [InlineData("img/**/*.png", "imgs/a.png", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("a+b(c).txt", "a+b(c).txt", true)]              // regex characters are literal
    public void GlobsMatchAsDocumented(string pattern, string path, bool matches)
    {
        Assert.True(CacheControlRule.TryParse($"{pattern}=no-cache", out CacheControlRule? rule, out _));

        Assert.Equal(matches, rule.Matches(path));
    }

    [Fact]
    public void TheFirstMatchingRuleWins()
    {
        CacheControlRule[] rules = new[] { "hashed=public, max-age=31536000, immutable", "*.css=no-cache", "**=max-age=60" }
            .Select(text => CacheControlRule.TryParse(text, out CacheControlRule? rule, out _) ? rule : throw new InvalidOperationException(text))
            .ToArray();

        Assert.Equal("public, max-age=31536000, immutable", CacheControlRule.ValueFor(rules, "css/site.0123456789ab.css"));
        Assert.Equal("no-cache", CacheControlRule.ValueFor(rules, "css/site.css"));
        Assert.Equal("max-age=60", CacheControlRule.ValueFor(rules, "img/logo.png"));
        Assert.Null(CacheControlRule.ValueFor(rules.Take(2).ToArray(), "img/logo.png"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("*.css")]
    [InlineData("=no-cache")]
    [InlineData("*.css=")]
    [InlineData("*.css=no-cache\n")]
    [InlineData("*.css=max-age=1\u00e9")]
    public void MalformedRulesAreRefusedWithAnExample(string text)
    {
        Assert.False(CacheControlRule.TryParse(text, out _, out string? error));
        Assert.Contains($"'{text}'", error);
    }
}

public class ErrorPageFileTests
{
    [Theory]
    [InlineData("404", 404, true)]
    [InlineData("404", 500, false)]
    [InlineData("50x", 500, true)]
    [InlineData("50x", 504, true)]
    [InlineData("50x", 404, false)]
    [InlineData("502", 502, true)]
    [InlineData("502", 503, false)]
    public void APageCoversItsStatuses(string statuses, int status, bool covered)
    {
        string file = Path.GetTempFileName();
        try
        {
            Assert.True(ErrorPageFile.TryParse($"{statuses}={file}", out ErrorPageFile? page, out _));
            Assert.Equal(covered, page.Covers(status));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("404")]
    [InlineData("418=/etc/hostname")]
    [InlineData("404=/no/such/file.html")]
    public void BadPagesAreRefused(string text)
    {
        Assert.False(ErrorPageFile.TryParse(text, out _, out string? error));
        Assert.Contains($"'{text}'", error);
    }
}
