using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Tls;

/// <summary>Starting pyhost with gunicorn's TLS flags, and the peers the TLS tests drive.</summary>
public static class TlsServers
{
    /// <summary>`pyhost serve pep3333:app -b 127.0.0.1:PORT --certfile ...`, ready once it listens on https://.</summary>
    public static async Task<(TestProcess Process, int Port)> StartWithFlagsAsync(params string[] arguments)
    {
        int port = PyHostServer.FreePort(System.Net.IPAddress.Loopback);
        TestProcess process = await TestProcess.StartServingAsync(
            ["serve", "pep3333:app", "-b", $"127.0.0.1:{port}", "--python", Repository.Python, "-w", "1", .. arguments],
            [$"https://127.0.0.1:{port}"]);
        return (process, port);
    }

    /// <summary>curl, failing on HTTP errors it is not asked about; `-w` output comes back in Output.</summary>
    public static Task<ToolResult> CurlAsync(params string[] arguments) =>
        ExternalTool.RunAsync("curl", ["-sS", "--max-time", "15", .. arguments]);

    /// <summary>`openssl s_client` with the given flags: its output has "Protocol", "Cipher is" and the server certificate.</summary>
    public static Task<ToolResult> OpenSslClientAsync(int port, params string[] arguments) =>
        ExternalTool.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-showcerts", .. arguments], standardInput: "Q\n");

    /// <summary>The subject line openssl prints for the server's certificate (subject=CN = name).</summary>
    public static string? ServerSubject(ToolResult result) =>
        result.Output.Split('\n').FirstOrDefault(line => line.StartsWith("subject=", StringComparison.Ordinal))?.Trim();
}
