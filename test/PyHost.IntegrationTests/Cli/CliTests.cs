using System.Net;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Cli;

/// <summary>The command line contract, like gunicorn's: exit codes, messages, the demo app.</summary>
public sealed class CliTests : IDisposable
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo emptyDirectory = Directory.CreateTempSubdirectory("pyhost-cli-");

    [Fact]
    public async Task MissingAppModuleExitsNonZeroWithATracebackAndAHint()
    {
        await using var pyhost = TestProcess.Start(Serve("nosuchmodule:app"), emptyDirectory.FullName);

        var exitCode = await pyhost.WaitForExitAsync(ExitDeadline);

        Assert.True(exitCode != 0, $"pyhost exited 0 for an app that cannot be imported.\n{pyhost.Describe()}");
        Assert.Contains("Traceback (most recent call last)", pyhost.Output);
        Assert.Contains("nosuchmodule", pyhost.Output);
        Assert.Matches(new Regex(@"(?m)(^\s*|\[worker \d+ \(pid \d+\)\] )hint:"), pyhost.Output);
    }

    [Theory]
    [InlineData("--no-such-flag", "--no-such-flag")]
    [InlineData("-w many", "many")]
    [InlineData("--log-level loud", "loud")]
    public async Task InvalidCommandLineExitsWithCode2AndSaysWhy(string arguments, string culprit)
    {
        await using var pyhost = TestProcess.Start([.. Serve("pep3333:app"), .. arguments.Split(' ')], Repository.AppsDirectory);

        var exitCode = await pyhost.WaitForExitAsync(ExitDeadline);

        Assert.True(exitCode == 2, $"Expected exit code 2, got {exitCode}.\n{pyhost.Describe()}");
        Assert.Contains(culprit, pyhost.StandardError);
    }

    [Fact]
    public async Task VersionFlagPrintsTheVersionAndExitsZero()
    {
        await using var pyhost = TestProcess.Start(["--version"], emptyDirectory.FullName);

        var exitCode = await pyhost.WaitForExitAsync(ExitDeadline);

        Assert.True(exitCode == 0, $"pyhost --version exited with {exitCode}.\n{pyhost.Describe()}");
        Assert.Matches(new Regex(@"\d+\.\d+\.\d+"), pyhost.Output);
    }

    [Fact]
    public async Task ServeWithoutAnAppServesTheDemoPage()
    {
        await using var server = await PyHostServer.StartAsync(app: null, [], emptyDirectory.FullName);

        var response = await server.GetAsync("/");

        response.AssertStatus(200);
        Assert.Contains("PyHost", response.BodyText);
    }

    public void Dispose() => emptyDirectory.Delete(recursive: true);

    private static string[] Serve(string app) =>
        ["serve", app, "-b", $"127.0.0.1:{PyHostServer.FreePort(IPAddress.Loopback)}", "--python", Repository.Python];
}
