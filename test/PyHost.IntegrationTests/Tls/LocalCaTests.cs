using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Tls;

/// <summary>tls = "auto" for names no public CA certifies: the local CA of the state directory signs them, and `pyhost trust` names its root.</summary>
public sealed class LocalCaTests
{
    [Fact]
    public async Task LocalhostAndAnIpAddressGetCertificatesFromTheLocalCaThatPyhostTrustPoints()
    {
        using var files = new TemporaryDirectory();
        string state = files.File("state");
        string config = $$"""
            [server]
            state_dir = "{{state}}"

            [[listen]]
            address = "127.0.0.1:{port0}"
            tls = "auto"

            [[site]]
            hosts = ["localhost", "127.0.0.1", "*.app.localhost"]
              [[site.route]]
              app = "main"

            [app.main]
            module = "pep3333:app"
            """;
        await using ConfiguredServer server = await ConfiguredServer.StartAsync(files, config, 1);
        Assert.DoesNotContain("ACME", server.Process.Output);

        ToolResult trust = await ExternalTool.RunAsync(Repository.PyHostExecutable, ["trust", "--state-dir", state]);
        Assert.Equal(0, trust.ExitCode);
        string root = trust.Output.Trim();
        Assert.Equal(Path.Combine(state, "local-ca", "root.pem"), root);
        Assert.Contains("update-ca-certificates", trust.Error);

        int port = server.Ports[0];
        foreach (string url in new[] { $"https://localhost:{port}/echo", $"https://127.0.0.1:{port}/echo" })
        {
            ToolResult result = await TlsServers.CurlAsync("--cacert", root, "-o", "/dev/null", "-w", "%{http_code}", url);
            Assert.True(result.ExitCode == 0, url + "\n" + result.All + server.Process.Describe());
            Assert.Equal("200", result.Output);
        }
        ToolResult wildcard = await TlsServers.CurlAsync("--cacert", root, "--resolve", $"shop.app.localhost:{port}:127.0.0.1", "-o", "/dev/null", "-w", "%{http_code}",
            $"https://shop.app.localhost:{port}/echo");
        Assert.Equal("200", wildcard.Output);

        // Without the root, the same certificate is not trusted: it is the local CA's, not a public one.
        ToolResult untrusted = await TlsServers.CurlAsync("-o", "/dev/null", $"https://localhost:{port}/echo");
        Assert.NotEqual(0, untrusted.ExitCode);
    }
}
