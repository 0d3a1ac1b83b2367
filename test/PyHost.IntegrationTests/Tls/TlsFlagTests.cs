using Xunit;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Tls;

/// <summary>gunicorn's --certfile/--keyfile: HTTPS on the -b listener, checked with curl and openssl from Debian.</summary>
public sealed class TlsFlagTests
{
    [Theory]
    [InlineData(KeyFormat.EcSec1)]
    [InlineData(KeyFormat.EcPkcs8)]
    [InlineData(KeyFormat.RsaPkcs1)]
    [InlineData(KeyFormat.RsaPkcs8)]
    public async Task CertfileAndKeyfileServeTheChainWithEveryKeyFormat(KeyFormat format)
    {
        using var files = new TemporaryDirectory();
        var root = TestCa.Create("Test Root");
        var intermediate = TestCa.Create("Test Intermediate", root);
        var (_, certificatePem, keyPem) = intermediate.IssueServer(["localhost", "127.0.0.1"], format);
        string chain = files.Write("fullchain.pem", certificatePem + intermediate.Pem);
        string key = files.Write("privkey.pem", keyPem);
        string rootFile = files.Write("root.pem", root.Pem);

        var (process, port) = await TlsServers.StartWithFlagsAsync("--certfile", chain, "--keyfile", key);
        await using var running = process;

        // curl trusts the root only: the intermediate has to come from the server, as nginx sends fullchain.pem.
        ToolResult result = await TlsServers.CurlAsync("--cacert", rootFile, "--http1.1", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", $"https://localhost:{port}/echo");
        Assert.True(result.ExitCode == 0, result.All + process.Describe());
        Assert.Equal("1.1 200", result.Output);
    }

    [Fact]
    public async Task Http2IsNegotiatedByAlpnAndTheEnvironSaysHttps()
    {
        using var files = new TemporaryDirectory();
        var root = TestCa.Create("Test Root");
        var (_, certificatePem, keyPem) = root.IssueServer(["localhost"]);
        string certificate = files.Write("cert.pem", certificatePem);
        string key = files.Write("key.pem", keyPem);
        string rootFile = files.Write("root.pem", root.Pem);
        var (process, port) = await TlsServers.StartWithFlagsAsync("--certfile", certificate, "--keyfile", key);
        await using var running = process;

        ToolResult http2 = await TlsServers.CurlAsync("--cacert", rootFile, "--http2", "-o", files.File("body.json"), "-w", "%{http_version} %{http_code}", $"https://localhost:{port}/echo");
        Assert.True(http2.ExitCode == 0, http2.All);
        Assert.Equal("2 200", http2.Output);
        JsonElement environ = JsonDocument.Parse(File.ReadAllText(files.File("body.json"))).RootElement.GetProperty("environ");
        Assert.Equal("https", environ.GetProperty("wsgi.url_scheme").GetString());
        Assert.Equal("on", environ.GetProperty("HTTPS").GetString());
        Assert.Equal("HTTP/2", environ.GetProperty("SERVER_PROTOCOL").GetString());
        Assert.Equal("TLSv1.3", environ.GetProperty("SSL_PROTOCOL").GetString());
        Assert.Equal("NONE", environ.GetProperty("SSL_CLIENT_VERIFY").GetString());

        ToolResult http1 = await TlsServers.CurlAsync("--cacert", rootFile, "--http1.1", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", $"https://localhost:{port}/echo");
        Assert.Equal("1.1 200", http1.Output);
    }

    [Fact]
    public async Task OnlyTls12And13AreAcceptedWithForwardSecretAeadSuites()
    {
        using var files = new TemporaryDirectory();
        var root = TestCa.Create("Test Root");
        var (_, certificatePem, keyPem) = root.IssueServer(["localhost"], KeyFormat.RsaPkcs8);
        var (process, port) = await TlsServers.StartWithFlagsAsync("--certfile", files.Write("cert.pem", certificatePem), "--keyfile", files.Write("key.pem", keyPem));
        await using var running = process;

        // The client side allows everything (SECLEVEL=0), so a refusal is the server's.
        ToolResult tls11 = await TlsServers.OpenSslClientAsync(port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
        Assert.Contains("Cipher is (NONE)", tls11.All);
        ToolResult tls12 = await TlsServers.OpenSslClientAsync(port, "-tls1_2", "-cipher", "DEFAULT:@SECLEVEL=0");
        Assert.Contains("New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256", tls12.All);
        ToolResult tls13 = await TlsServers.OpenSslClientAsync(port, "-tls1_3");
        Assert.Contains("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256", tls13.All);

        // CBC and static-RSA suites, which OpenSSL's default offers, are not.
        foreach (string suite in new[] { "AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA" })
        {
            ToolResult refused = await TlsServers.OpenSslClientAsync(port, "-tls1_2", "-cipher", suite + ":@SECLEVEL=0");
            Assert.Contains("Cipher is (NONE)", refused.All);
        }
    }

    [Fact]
    public async Task AKeyOfAnotherCertificateStopsTheStartNamingTheFile()
    {
        using var files = new TemporaryDirectory();
        var root = TestCa.Create("Test Root");
        var (_, certificatePem, _) = root.IssueServer(["localhost"]);
        var (_, _, otherKeyPem) = root.IssueServer(["other.test"]);
        string key = files.Write("wrong.key", otherKeyPem);
        int port = PyHostServer.FreePort(System.Net.IPAddress.Loopback);
        await using var process = TestProcess.Start(["serve", "pep3333:app", "-b", $"127.0.0.1:{port}", "--python", Repository.Python,
            "--certfile", files.Write("cert.pem", certificatePem), "--keyfile", key]);

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains($"{key}: this key does not belong to the first certificate", process.Output);
        Assert.DoesNotContain("   at ", process.Output);
    }

    [Fact]
    public async Task AnEncryptedKeyIsRefusedWithAHint()
    {
        using var files = new TemporaryDirectory();
        var root = TestCa.Create("Test Root");
        var (certificate, certificatePem, _) = root.IssueServer(["localhost"]);
        string key = files.Write("encrypted.key", new string(System.Security.Cryptography.PemEncoding.Write("ENCRYPTED PRIVATE KEY",
            certificate.GetECDsaPrivateKey()!.ExportEncryptedPkcs8PrivateKey("secret", new System.Security.Cryptography.PbeParameters(
                System.Security.Cryptography.PbeEncryptionAlgorithm.Aes128Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 1000)))));
        int port = PyHostServer.FreePort(System.Net.IPAddress.Loopback);
        await using var process = TestProcess.Start(["serve", "pep3333:app", "-b", $"127.0.0.1:{port}", "--python", Repository.Python,
            "--certfile", files.Write("cert.pem", certificatePem), "--keyfile", key]);

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains($"{key}: the private key is encrypted", process.Output);
        Assert.Contains("openssl pkey", process.Output);
    }

    [Theory]
    [InlineData(new[] { "--keyfile", "k.pem" }, "--keyfile, --ca-certs and --cert-reqs go with --certfile")]
    [InlineData(new[] { "--certfile", "c.pem", "--cert-reqs", "3" }, "flag --cert-reqs: error: listen[0].client_certificates: \"3\" is not one of \"none\", \"optional\", \"required\"")]
    [InlineData(new[] { "--certfile", "c.pem", "--cert-reqs", "2" }, "give --ca-certs")]
    public async Task TlsFlagMistakesExitWithStatus2(string[] flags, string message)
    {
        await using var process = TestProcess.Start(["serve", "pep3333:app", "--python", Repository.Python, .. flags]);
        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains(message, process.Output);
    }
}
