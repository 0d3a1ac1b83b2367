using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Cli;

/// <summary>Bad gateway binds and --cgi values: exit status 2 and a line that names flag and value.</summary>
public class GatewayFlagTests
{
    [Theory]
    [InlineData(new[] { "-b", "ajp://127.0.0.1:8009" }, "flag -b: error: listen[0].address: 'ajp://127.0.0.1:8009': unknown scheme; use HOST:PORT for HTTP, or uwsgi://")]
    [InlineData(new[] { "-b", "uwsgi+unix:" }, "flag -b: error: listen[0].address: 'uwsgi+unix:': a unix socket address needs a path")]
    [InlineData(new[] { "-b", "fastcgi://example.com:9000" }, "'example.com' is not an IP address")]
    [InlineData(new[] { "--cgi", "/cgi-bin" }, "flag --cgi: error: cgi: '/cgi-bin': expected URL_PREFIX=DIR")]
    [InlineData(new[] { "--cgi", "/cgi-bin=/no/such/directory" }, "flag --cgi: error: cgi: '/cgi-bin=/no/such/directory': no such directory or script: /no/such/directory")]
    [InlineData(new[] { "--cgi", "/cgi-bin=/tmp,cgi" }, "'cgi' is not a file name extension such as .cgi or .py")]
    public async Task ABadValueExitsWith2AndNamesIt(string[] arguments, string message)
    {
        await using var pyhost = TestProcess.Start(["serve", "--python", Repository.Python, .. arguments]);

        int exitCode = await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 2, $"Expected exit code 2, got {exitCode}.\n{pyhost.Describe()}");
        Assert.Contains(message, pyhost.StandardError);
        Assert.DoesNotContain("   at ", pyhost.Output);
    }
}
