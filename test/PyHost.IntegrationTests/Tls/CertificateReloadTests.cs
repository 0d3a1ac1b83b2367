using Xunit;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Tls;

/// <summary>Certificate files replaced on disk (a certbot renewal) are served without a restart; a broken one is not.</summary>
public sealed class CertificateReloadTests
{
    [Fact]
    public async Task ARenewedCertificateIsServedToNewConnectionsWhileAnOpenOneKeepsWorking()
    {
        using var files = new TemporaryDirectory();
        var root = TestCa.Create("Reload Root");
        var (first, firstPem, firstKey) = root.IssueServer(["localhost"]);
        string certificate = files.Write("fullchain.pem", firstPem);
        string key = files.Write("privkey.pem", firstKey);
        var (process, port) = await TlsServers.StartWithFlagsAsync("--certfile", certificate, "--keyfile", key);
        await using var running = process;

        using var open = new TlsClient(port, [root.Certificate]);
        using (HttpResponseMessage before = await open.GetAsync($"https://localhost:{port}/echo"))
        {
            Assert.Equal(200, (int)before.StatusCode);
        }
        Assert.Equal(first.Thumbprint, Assert.Single(open.Seen).Thumbprint);

        // certbot writes new files and swaps them in; here the key first, then the chain, as separate renames.
        var (second, secondPem, secondKey) = root.IssueServer(["localhost"]);
        int mark = process.LineCount;
        File.WriteAllText(key + ".new", secondKey);
        File.WriteAllText(certificate + ".new", secondPem);
        File.Move(key + ".new", key, overwrite: true);
        File.Move(certificate + ".new", certificate, overwrite: true);
        await process.WaitForOutputAsync(new Regex("Reloaded certificate " + Regex.Escape(certificate)), TimeSpan.FromSeconds(15), mark);

        // The open keep-alive connection still answers, on its own handshake's certificate.
        using (HttpResponseMessage during = await open.GetAsync($"https://localhost:{port}/echo"))
        {
            Assert.Equal(200, (int)during.StatusCode);
        }
        Assert.Single(open.Seen);

        using var fresh = new TlsClient(port, [root.Certificate]);
        using (HttpResponseMessage after = await fresh.GetAsync($"https://localhost:{port}/echo"))
        {
            Assert.Equal(200, (int)after.StatusCode);
        }
        Assert.Equal(second.Thumbprint, Assert.Single(fresh.Seen).Thumbprint);
        Assert.DoesNotContain("[ERROR]", process.OutputSince(mark));
    }

    [Fact]
    public async Task ABrokenNewFileKeepsTheOldCertificateWithAnErrorLine()
    {
        using var files = new TemporaryDirectory();
        var root = TestCa.Create("Reload Root");
        var (first, firstPem, firstKey) = root.IssueServer(["localhost"]);
        string certificate = files.Write("cert.pem", firstPem);
        string key = files.Write("key.pem", firstKey);
        var (process, port) = await TlsServers.StartWithFlagsAsync("--certfile", certificate, "--keyfile", key);
        await using var running = process;

        // A new certificate whose key never arrives: the pair does not match.
        var (_, otherPem, _) = root.IssueServer(["localhost"]);
        int mark = process.LineCount;
        File.WriteAllText(certificate, otherPem);
        await process.WaitForOutputAsync(new Regex(@"\[ERROR\] Certificate " + Regex.Escape(certificate) + " changed but cannot be used: .*does not belong.*Still serving the previous one"),
            TimeSpan.FromSeconds(15), mark);

        using var client = new TlsClient(port, [root.Certificate]);
        using HttpResponseMessage response = await client.GetAsync($"https://localhost:{port}/echo");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(first.Thumbprint, Assert.Single(client.Seen).Thumbprint);
    }

    [Fact]
    public async Task AReloadServesTheCertificateTheFileNowNamesAndABrokenOneChangesNothing()
    {
        using var files = new TemporaryDirectory();
        var root = TestCa.Create("Reload Root");
        var (first, firstPem, firstKey) = root.IssueServer(["localhost"]);
        var (second, secondPem, secondKey) = root.IssueServer(["localhost"]);
        files.Write("first.pem", firstPem);
        files.Write("first.key", firstKey);
        files.Write("second.pem", secondPem);
        files.Write("second.key", secondKey);
        const string template = """
            [[listen]]
            address = "127.0.0.1:{port0}"
            tls = "files"
            certificate = "NAME.pem"
            key = "NAME.key"
            """;
        await using ConfiguredServer server = await ConfiguredServer.StartAsync(files, template.Replace("NAME", "first"), 1);
        int port = server.Ports[0];
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(port, root));

        int mark = server.Process.LineCount;
        File.WriteAllText(server.ConfigPath, ConfiguredServer.Fill(template.Replace("NAME", "second"), server.Ports));
        Posix.SendSignal(server.Process.Id, Posix.SigHup);
        await server.Process.WaitForOutputAsync(new Regex("Reload: ok"), TimeSpan.FromSeconds(30), mark);
        Assert.Equal(second.Thumbprint, await ServedThumbprintAsync(port, root));

        // A certificate that cannot be served refuses the reload: the running one keeps serving.
        mark = server.Process.LineCount;
        File.WriteAllText(server.ConfigPath, ConfiguredServer.Fill(template.Replace("NAME", "missing"), server.Ports));
        Posix.SendSignal(server.Process.Id, Posix.SigHup);
        await server.Process.WaitForOutputAsync(new Regex("Reload refused.*cannot serve TLS: .*missing.pem"), TimeSpan.FromSeconds(30), mark);
        Assert.Equal(second.Thumbprint, await ServedThumbprintAsync(port, root));
    }

    private static async Task<string> ServedThumbprintAsync(int port, TestCa root)
    {
        using var client = new TlsClient(port, [root.Certificate]);
        using HttpResponseMessage response = await client.GetAsync($"https://localhost:{port}/echo");
        Assert.Equal(200, (int)response.StatusCode);
        return Assert.Single(client.Seen).Thumbprint;
    }
}
