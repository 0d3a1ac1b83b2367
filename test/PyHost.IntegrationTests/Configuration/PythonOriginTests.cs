using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Configuration;

/// <summary>"Using Python ... (from ...)" names where the interpreter was given: the config file's line for its
/// <c>python</c> key (it said "from --python" whatever the source was).</summary>
public sealed class PythonOriginTests(ITestOutputHelper output)
{
    private static string Toml => $$"""
        # The interpreter is given by the file, on line 7.
        [[listen]]
        address = "127.0.0.1:{port0}"

        [app.main]
        module = "named:app"
        python = "{{Repository.Python}}"
        workers = 1
        """;

    [Fact]
    public async Task ThePythonOfTheConfigFileIsSaidToComeFromItsLine()
    {
        await using ConfiguredServer server = await ConfiguredServer.StartAsync(output, Toml);

        await server.Process.WaitForOutputAsync(
            new Regex($@"Using Python {Regex.Escape(Repository.Python)} \(from pyhost\.toml:7\)"), TestProcess.StartTimeout);
        Assert.DoesNotContain("from --python", server.Process.Output);
    }
}
