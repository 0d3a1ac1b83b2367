using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Cli;

/// <summary>Bad values of the static-file and compression flags: exit status 2 and a line that names flag and value.</summary>
public class StaticAndCompressionFlagTests
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(new[] { "--static-cache-control", "nonsense" }, "--static-cache-control 'nonsense': expected PATTERN=VALUE")]
    [InlineData(new[] { "--static-cache-control", "*.css=max-age=1\u00e9" }, "printable ASCII")]
    [InlineData(new[] { "--error-page", "404=/no/such/page.html" }, "--error-page '404=/no/such/page.html': no such file")]
    [InlineData(new[] { "--error-page", "418=/etc/hostname" }, "expected STATUS=FILE")]
    [InlineData(new[] { "--compress-level", "gzip=12" }, "the gzip level goes from 1 to 9")]
    [InlineData(new[] { "--compress-level", "lzma=3" }, "expected CODING=LEVEL")]
    [InlineData(new[] { "--compress-codings", "br,deflate" }, "'deflate' is not a coding PyHost produces")]
    [InlineData(new[] { "--static-max-ranges", "0" }, "--static-max-ranges must be at least 1")]
    [InlineData(new[] { "--static-index", "../index.html" }, "expected a file name in the mount")]
    public async Task ABadValueExitsWith2AndNamesIt(string[] arguments, string message)
    {
        await using var pyhost = TestProcess.Start(["serve", "--python", Repository.Python, .. arguments]);

        int exitCode = await pyhost.WaitForExitAsync(ExitDeadline);

        Assert.True(exitCode == 2, $"Expected exit code 2, got {exitCode}.\n{pyhost.Describe()}");
        Assert.Contains(message, pyhost.StandardError);
        Assert.DoesNotContain("   at ", pyhost.Output);   // no .NET stack trace
    }
}
