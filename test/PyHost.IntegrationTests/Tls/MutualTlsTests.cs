using Xunit;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Tls;

/// <summary>Client certificates (gunicorn --ca-certs/--cert-reqs): checked against the client CA, named in the environ as mod_ssl does.</summary>
public sealed class MutualTlsTests
{
    private readonly TestCa _serverRoot = TestCa.Create("Server Root");
    private readonly TestCa _clientCa = TestCa.Create("Client CA");
    private readonly TestCa _strangerCa = TestCa.Create("Stranger CA");

    private async Task<(TestProcess Process, int Port)> StartAsync(TemporaryDirectory files, string requirement)
    {
        var (_, certificatePem, keyPem) = _serverRoot.IssueServer(["localhost"]);
        return await TlsServers.StartWithFlagsAsync("--certfile", files.Write("cert.pem", certificatePem), "--keyfile", files.Write("key.pem", keyPem),
            "--ca-certs", files.Write("clients.pem", _clientCa.Pem), "--cert-reqs", requirement);
    }

    private static string[] ClientFiles(TemporaryDirectory files, TestCa ca, string name)
    {
        var (_, certificatePem, keyPem) = ca.IssueClient($"CN={name}, OU=Staff, O=PyHost tests");
        return ["--cert", files.Write(name + ".pem", certificatePem), "--key", files.Write(name + ".key", keyPem)];
    }

    [Fact]
    public async Task RequiredAcceptsAClientOfTheCaAndNamesItInTheEnviron()
    {
        using var files = new TemporaryDirectory();
        var (process, port) = await StartAsync(files, "2");
        await using var running = process;
        string root = files.Write("root.pem", _serverRoot.Pem);

        ToolResult accepted = await TlsServers.CurlAsync(["--cacert", root, .. ClientFiles(files, _clientCa, "alice"), "-o", files.File("environ.json"), "-w", "%{http_code}", $"https://localhost:{port}/echo"]);
        Assert.True(accepted.ExitCode == 0, accepted.All);
        Assert.Equal("200", accepted.Output);
        JsonElement environ = JsonDocument.Parse(File.ReadAllText(files.File("environ.json"))).RootElement.GetProperty("environ");
        Assert.Equal("SUCCESS", environ.GetProperty("SSL_CLIENT_VERIFY").GetString());
        Assert.Equal("CN=alice,OU=Staff,O=PyHost tests", environ.GetProperty("SSL_CLIENT_S_DN").GetString());
        Assert.Equal("CN=Client CA,O=PyHost tests", environ.GetProperty("SSL_CLIENT_I_DN").GetString());

        ToolResult without = await TlsServers.CurlAsync("--cacert", root, "-o", "/dev/null", $"https://localhost:{port}/echo");
        Assert.NotEqual(0, without.ExitCode);
        ToolResult stranger = await TlsServers.CurlAsync(["--cacert", root, .. ClientFiles(files, _strangerCa, "mallory"), "-o", "/dev/null", $"https://localhost:{port}/echo"]);
        Assert.NotEqual(0, stranger.ExitCode);
    }

    [Fact]
    public async Task OptionalLetsAClientWithoutACertificateInButNotOneThatFailsTheCheck()
    {
        using var files = new TemporaryDirectory();
        var (process, port) = await StartAsync(files, "1");
        await using var running = process;
        string root = files.Write("root.pem", _serverRoot.Pem);

        ToolResult without = await TlsServers.CurlAsync("--cacert", root, "-o", files.File("environ.json"), "-w", "%{http_code}", $"https://localhost:{port}/echo");
        Assert.Equal("200", without.Output);
        JsonElement environ = JsonDocument.Parse(File.ReadAllText(files.File("environ.json"))).RootElement.GetProperty("environ");
        Assert.Equal("NONE", environ.GetProperty("SSL_CLIENT_VERIFY").GetString());
        Assert.False(environ.TryGetProperty("SSL_CLIENT_S_DN", out _));

        ToolResult stranger = await TlsServers.CurlAsync(["--cacert", root, .. ClientFiles(files, _strangerCa, "mallory"), "-o", "/dev/null", $"https://localhost:{port}/echo"]);
        Assert.NotEqual(0, stranger.ExitCode);
        ToolResult alice = await TlsServers.CurlAsync(["--cacert", root, .. ClientFiles(files, _clientCa, "alice"), "-o", "/dev/null", "-w", "%{http_code}", $"https://localhost:{port}/echo"]);
        Assert.Equal("200", alice.Output);
    }
}
