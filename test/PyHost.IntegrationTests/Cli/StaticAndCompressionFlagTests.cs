using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Cli;

/// <summary>Bad values of the static-file and compression flags: exit status 2 and a line that names flag and value.</summary>
public class StaticAndCompressionFlagTests
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(new[] { "--static-cache-control", "nonsense" }, "flag --static-cache-control: error: cache_control: expected PATTERN=VALUE, not 'nonsense'")]
    [InlineData(new[] { "--static-cache-control", "*.css=max-age=1\u00e9" }, "printable ASCII")]
    [InlineData(new[] { "--error-page", "418=/etc/hostname" }, "flag --error-page: error: site[0].error_pages.418: '418' is not a status PyHost has a page for")]
    [InlineData(new[] { "--compress-level", "gzip=12" }, "flag --compress-level: error: site[0].compression.levels.gzip: 12 is out of range: expected a whole number from 1 to 9")]
    [InlineData(new[] { "--compress-level", "lzma=3" }, "expected CODING=LEVEL")]
    [InlineData(new[] { "--compress-codings", "br,deflate" }, "flag --compress-codings: error: site[0].compression.codings[1]: \"deflate\" is not one of \"zstd\", \"br\", \"gzip\"")]
    [InlineData(new[] { "--static-max-ranges", "0" }, "flag --static-max-ranges: error: max_ranges: 0 is out of range: expected a whole number of at least 1")]
    [InlineData(new[] { "--static-index", "../index.html" }, "flag --static-index: error: index: \"../index.html\" is not a file name in the directory")]
    public async Task ABadValueExitsWith2AndNamesIt(string[] arguments, string message)
    {
        await using var pyhost = TestProcess.Start(["serve", "--python", Repository.Python, .. arguments]);

        int exitCode = await pyhost.WaitForExitAsync(ExitDeadline);

        Assert.True(exitCode == 2, $"Expected exit code 2, got {exitCode}.\n{pyhost.Describe()}");
        Assert.Contains(message, pyhost.StandardError);
        Assert.DoesNotContain("   at ", pyhost.Output);   // no .NET stack trace
    }

    /// <summary>A page that is not on disk is found before the start, as a missing static directory is: one line naming the
    /// flag, status 2.</summary>
    [Fact]
    public async Task AnErrorPageThatIsNotThereStopsTheStartWithOneLine()
    {
        await using var pyhost = TestProcess.Start(["serve", "--python", Repository.Python, "--error-page", "404=/no/such/page.html"]);

        int exitCode = await pyhost.WaitForExitAsync(ExitDeadline);

        Assert.True(exitCode == 2, $"Expected exit code 2 (a usage error), got {exitCode}.\n{pyhost.Describe()}");
        Assert.Contains("pyhost: flag --error-page: error: site[0].error_pages.404: cannot read /no/such/page.html: no such file", pyhost.StandardError);
        Assert.DoesNotContain("   at ", pyhost.Output);
    }
}
